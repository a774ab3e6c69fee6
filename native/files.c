/*
 * pinlab-agent: scenario files FID 0..MAX_FILES-1.  `file_create` makes DIR/fs/NAME/fFID on a file system
 * of fs.c, `memfd_create` a memfd; the agent opens each before the first spawn (O_RDWR, or O_RDONLY for
 * `ro`), plus an O_DIRECT descriptor where the file system allows one, so every scenario process inherits
 * both.  It also opens two O_RDONLY descriptors of its own (ownio.c), so that what it does as "the kernel"
 * (the flusher's writeback, the observation of errors) never advances the error cursor (f_wb_err) of the
 * descriptor the scenario's fsync reports through.  The scenario descriptor is POSIX_FADV_RANDOM: a buffered
 * read reads the page it asks for and no readahead.
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct pfile g_files[MAX_FILES];

bool parse_fid(const char *s, long *fid)
{
	return parse_long(s, 0, MAX_FILES - 1, fid);
}

const struct pfile *file_get(long fid)
{
	return g_files[fid].used ? &g_files[fid] : NULL;
}

/* the file an agent command's FID token names; NULL after replying "cmd: ..." */
const struct pfile *agent_file(const char *cmd, const char *tok)
{
	long fid;
	if (!parse_fid(tok, &fid)) {
		reply_err("bad command: %s: bad FID '%s'", cmd, tok);
		return NULL;
	}
	const struct pfile *f = file_get(fid);
	if (!f)
		reply_err("%s: file %ld does not exist", cmd, fid);
	return f;
}

/* writes PAGES pages of zeros and fsyncs them (blocks allocated and written), then drops them from the page
 * cache so that the file starts uncached; -errno on failure */
static int fill_zeros(int fd, long pages)
{
	static const char zeros[64 * 1024];
	off_t len = (off_t)pages * (off_t)PAGE_SZ;
	for (off_t o = 0; o < len;) {
		size_t n = len - o < (off_t)sizeof zeros ? (size_t)(len - o) : sizeof zeros;
		ssize_t w = pwrite(fd, zeros, n, o);
		if (w < 0)
			return -errno;
		o += w;
	}
	if (fsync(fd) < 0)
		return -errno;
	int e = posix_fadvise(fd, 0, len, POSIX_FADV_DONTNEED);
	return -e;
}

/* the O_DIRECT descriptor of f, or -errno in f->dio_err */
static void open_dio(struct pfile *f, const char *path)
{
	f->dio_fd = open(path, (f->ro ? O_RDONLY : O_RDWR) | O_DIRECT);
	f->dio_err = f->dio_fd < 0 ? -errno : 0;
}

/* the agent's own descriptors and the scenario descriptor's readahead; -errno on failure */
static int open_own(struct pfile *f, const char *path)
{
	f->own_fd = open(path, O_RDONLY | O_CLOEXEC);
	f->err_fd = f->own_fd < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (f->own_fd < 0 || f->err_fd < 0)
		return -errno;
	return -posix_fadvise(f->fd, 0, 0, POSIX_FADV_RANDOM);
}

static void close_fds(struct pfile *f)
{
	int *fds[] = {&f->fd, &f->dio_fd, &f->own_fd, &f->err_fd};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

static bool create_on_fs(struct pfile *f, long fid, long pages, bool full)
{
	snprintf(f->path, sizeof f->path, "%s/f%ld", f->fs->mnt, fid);
	int fd = open(f->path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		reply_err("file_create: create %s: %s", f->path, strerror(errno));
		return false;
	}
	const char *step = full ? "filling" : "ftruncate";
	int r = full ? fill_zeros(fd, pages) : ftruncate(fd, (off_t)pages * (off_t)PAGE_SZ) < 0 ? -errno : 0;
	if (r == 0 && f->ro) {
		close(fd);
		step = "reopening O_RDONLY";
		fd = open(f->path, O_RDONLY);
		r = fd < 0 ? -errno : 0;
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		unlink(f->path);
		reply_err("file_create: %s %s: %s", step, f->path, strerror(-r));
		return false;
	}
	f->fd = fd;
	open_dio(f, f->path);
	r = open_own(f, f->path);
	if (r < 0) {
		close_fds(f);
		unlink(f->path);
		reply_err("file_create: agent descriptors of %s: %s", f->path, strerror(-r));
		return false;
	}
	return true;
}

/* FID free and no scenario process yet; replies and returns false otherwise */
static bool fid_available(const char *cmd, long fid)
{
	if (procs_started())
		reply_err("%s: files are made before the first spawn", cmd);
	else if (g_files[fid].used)
		reply_err("%s: file %ld already exists", cmd, fid);
	else
		return true;
	return false;
}

static void reply_file(const struct pfile *f)
{
	char esc[PATH_MAX * 2], out[PATH_MAX * 2 + 64];
	jesc(esc, sizeof esc, f->path);
	snprintf(out, sizeof out, "{\"ok\":true,\"path\":\"%s\",\"dio\":%d}", esc, f->dio_err);
	reply(out);
}

static bool cmd_file_create(char **tok, int nt)
{
	long fid, pages;
	struct fsys *fs = nt >= 3 ? fs_find(tok[2]) : NULL;
	if ((nt != 5 && nt != 6) || !parse_fid(tok[1], &fid) || !parse_pages(tok[3], &pages) ||
	    (strcmp(tok[4], "full") && strcmp(tok[4], "sparse")) || (nt == 6 && strcmp(tok[5], "ro"))) {
		reply_err("bad command: file_create FID NAME PAGES full|sparse [ro]");
		return true;
	}
	if (!fs) {
		reply_err("file_create: no file system %s (fs_make first)", tok[2]);
		return true;
	}
	if (!fid_available("file_create", fid))
		return true;
	struct pfile *f = &g_files[fid];
	memset(f, 0, sizeof *f);
	f->fd = f->dio_fd = f->own_fd = f->err_fd = -1;
	f->fs = fs;
	f->ro = nt == 6;
	if (!create_on_fs(f, fid, pages, !strcmp(tok[4], "full")))
		return true;
	f->used = true;
	logmsg("file %ld: %s, %ld pages %s%s, O_DIRECT %d", fid, f->path, pages, tok[4], f->ro ? " ro" : "", f->dio_err);
	reply_file(f);
	return true;
}

static bool cmd_memfd_create(char **tok, int nt)
{
	long fid, pages;
	if (nt != 3 || !parse_fid(tok[1], &fid) || !parse_pages(tok[2], &pages)) {
		reply_err("bad command: memfd_create FID PAGES");
		return true;
	}
	if (!fid_available("memfd_create", fid))
		return true;
	struct pfile *f = &g_files[fid];
	memset(f, 0, sizeof *f);
	f->fd = f->dio_fd = f->own_fd = f->err_fd = -1;
	char name[32];
	snprintf(name, sizeof name, "pinlab-f%ld", fid);
	f->fd = memfd_create(name, 0);
	if (f->fd < 0) {
		reply_err("memfd_create: %s", strerror(errno));
		return true;
	}
	if (ftruncate(f->fd, (off_t)pages * (off_t)PAGE_SZ) < 0) {
		reply_err("memfd_create: ftruncate: %s", strerror(errno));
		close(f->fd);
		return true;
	}
	/* /proc/self/fd/N reopens the memfd: the only way to ask for O_DIRECT on it, or for more descriptors */
	snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
	open_dio(f, f->path);
	int r = open_own(f, f->path);
	if (r < 0) {
		reply_err("memfd_create: agent descriptors: %s", strerror(-r));
		close_fds(f);
		return true;
	}
	snprintf(f->path, sizeof f->path, "memfd:%s", name);
	f->used = true;
	logmsg("file %ld: %s, %ld pages, O_DIRECT %d", fid, f->path, pages, f->dio_err);
	reply_file(f);
	return true;
}

/* at cleanup, before the file systems are unmounted */
void files_close_all(void)
{
	for (int i = 0; i < MAX_FILES; i++) {
		struct pfile *f = &g_files[i];
		if (!f->used)
			continue;
		close_fds(f);
		f->used = false;
	}
}

const struct agent_cmd file_agent_cmds[] = {
	{"file_create", cmd_file_create},
	{"memfd_create", cmd_memfd_create},
	{NULL, NULL},
};
