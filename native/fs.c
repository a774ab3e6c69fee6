/*
 * pinlab-agent: real file systems for scenario files.  `fs_make NAME KIND [stable]` makes DIR/fs/NAME: for
 * ext4, xfs and btrfs a sparse image DIR/fs/NAME.img on a loop device (LO_FLAGS_AUTOCLEAR), made with mkfs
 * and mounted; for tmpfs a tmpfs mount.  Everything is undone at cleanup, and a crashed agent's leftovers in
 * DIR/fs are removed at the next start.
 */
#include "agent.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* the source of the agent's tmpfs mounts, what marks them as the agent's in mountinfo */
#define TMPFS_SOURCE "pinlab-agent"

static struct fsys g_fs[MAX_FS];
static char g_fsdir[PATH_MAX + 8];
static char g_err[512];

struct kind_info {
	const char *name;
	long long image_mib;      /* 0: no block device */
	const char *const *mkfs;  /* argv, the device is appended */
	const char *mount_opts;
};

/*
 * Sizes: the smallest that mkfs accepts comfortably (mkfs.xfs refuses less than 300 MiB); the images are
 * sparse.  Options chosen for repeatable behaviour:
 *   ext4: 4 KiB blocks and 256-byte inodes whatever the size (-T default: no "small" profile); inode
 *         tables and journal zeroed now (lazy_itable_init=0, lazy_journal_init=0) so no ext4lazyinit
 *         thread writes in the background; nodiscard.  Mount: commit=300 (no periodic journal commit during
 *         a scenario), noauto_da_alloc (a truncate to 0 does not trigger a flush at close), noinit_itable.
 *   xfs:  defaults (crc, reflink), -K nodiscard.
 *   btrfs: -d single -m single (one stripe: FIEMAP's logical address maps to one device offset), -K.
 *         Mount: commit=300, max_inline=0 (file data always in extents, never inline in the b-tree),
 *         nodiscard.  Data checksums stay on (the default).
 *   tmpfs: huge=never.
 */
static const char *const mkfs_ext4[] = {"mkfs.ext4", "-q", "-F", "-b", "4096", "-I", "256", "-T", "default",
					"-E", "lazy_itable_init=0,lazy_journal_init=0,nodiscard", NULL};
static const char *const mkfs_xfs[] = {"mkfs.xfs", "-q", "-f", "-K", NULL};
static const char *const mkfs_btrfs[] = {"mkfs.btrfs", "-q", "-f", "-K", "-d", "single", "-m", "single", NULL};

static const struct kind_info g_kinds[] = {
	[FS_EXT4] = {"ext4", 256, mkfs_ext4, "commit=300,noauto_da_alloc,noinit_itable"},
	[FS_XFS] = {"xfs", 512, mkfs_xfs, NULL},
	[FS_BTRFS] = {"btrfs", 256, mkfs_btrfs, "commit=300,max_inline=0,nodiscard"},
	[FS_TMPFS] = {"tmpfs", 0, NULL, "size=256m,huge=never,mode=0755"},
};

static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_err, sizeof g_err, fmt, ap);
	va_end(ap);
	return false;
}

const char *fs_kind_name(enum fs_kind k)
{
	return g_kinds[k].name;
}

struct fsys *fs_find(const char *name)
{
	for (int i = 0; i < MAX_FS; i++)
		if (g_fs[i].used && !strcmp(g_fs[i].name, name))
			return &g_fs[i];
	return NULL;
}

/* ---- loop devices ------------------------------------------------------------------------------------ */

/* the backing file of /dev/loopN per sysfs into buf; false if the device is not bound */
static bool loop_backing(int nr, char *buf, size_t size)
{
	char path[96];
	snprintf(path, sizeof path, "/sys/block/loop%d/loop/backing_file", nr);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

static int open_loop(int nr)
{
	char dev[32];
	snprintf(dev, sizeof dev, "/dev/loop%d", nr);
	int fd = -1;
	for (int i = 0; i < 100 && fd < 0; i++) { /* the node may appear a moment after LOOP_CTL_GET_FREE */
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT)
			break;
		if (fd < 0)
			usleep(10000);
	}
	return fd;
}

/* binds a free loop device to img_fd (autoclear); returns its open fd and number, -1 with g_err set */
static int loop_attach(int img_fd, const char *img, int *nr)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fail("open /dev/loop-control: %s (is the loop module loaded?)", strerror(errno));
		return -1;
	}
	for (int tries = 0; tries < 16; tries++) {
		*nr = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (*nr < 0)
			break;
		int fd = open_loop(*nr);
		if (fd < 0)
			break;
		struct loop_config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.fd = (unsigned)img_fd;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0) {
			close(ctl);
			return fd;
		}
		int e = errno;
		close(fd);
		if (e != EBUSY) { /* EBUSY: someone else took it meanwhile */
			errno = e;
			break;
		}
	}
	int e = errno;
	close(ctl);
	fail("loop device for %s: %s", img, strerror(e));
	return -1;
}

static void loop_clear(int nr)
{
	int fd = open_loop(nr);
	if (fd < 0)
		return;
	if (ioctl(fd, LOOP_CLR_FD) < 0 && errno != ENXIO)
		logmsg("LOOP_CLR_FD /dev/loop%d: %s", nr, strerror(errno));
	close(fd);
}

/* waits for an autoclear loop device to let go of img once nothing holds it, else detaches it */
static void loop_release(int nr, const char *img)
{
	char b[PATH_MAX];
	long long deadline = now_ms() + 2000;
	while (loop_backing(nr, b, sizeof b) && !strncmp(b, img, strlen(img)) && now_ms() < deadline)
		usleep(5000);
	if (loop_backing(nr, b, sizeof b) && !strncmp(b, img, strlen(img))) {
		logmsg("cleanup: /dev/loop%d still bound to %s, detaching", nr, img);
		loop_clear(nr);
	}
}

/* whether the loop device's queue requires stable pages during writeback (BLK_FEAT_STABLE_WRITES).  Set
 * before mount, which copies it into the super block (SB_I_STABLE_WRITES).  Always written: the setting
 * outlives a detach, so a reused loop device may still have it from an earlier user. */
static bool loop_set_stable(int nr, bool stable)
{
	char path[96], want = stable ? '1' : '0', got = 0;
	snprintf(path, sizeof path, "/sys/block/loop%d/queue/stable_writes", nr);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("stable_writes: open %s: %s", path, strerror(errno));
	bool ok = write(fd, &want, 1) == 1 && pread(fd, &got, 1, 0) == 1 && got == want;
	int e = errno;
	close(fd);
	return ok ? true : fail("stable_writes: %s did not take %c: %s", path, want, strerror(e));
}

/* ---- mkfs ------------------------------------------------------------------------------------------- */

static void exec_tool(const char *const *argv, const char *dev) __attribute__((noreturn));
static void exec_tool(const char *const *argv, const char *dev)
{
	const char *args[24];
	int n = 0;
	while (argv[n] && n < 22) {
		args[n] = argv[n];
		n++;
	}
	args[n++] = dev;
	args[n] = NULL;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int dn = open("/dev/null", O_RDONLY);
	if (dn >= 0)
		dup2(dn, 0);
	dup2(g_log_fd, 1);
	dup2(g_log_fd, 2);
	closefrom(3);
	const char *path = getenv("PATH");
	char newpath[4096];
	snprintf(newpath, sizeof newpath, "%s:/usr/sbin:/sbin:/usr/bin:/bin", path ? path : "");
	setenv("PATH", newpath, 1);
	execvp(args[0], (char *const *)args);
	dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
	_exit(127);
}

/* runs argv + dev with output to the log, within the step timeout */
static bool run_mkfs(const char *const *argv, const char *dev)
{
	logmsg("running %s on %s", argv[0], dev);
	pid_t pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0)
		exec_tool(argv, dev);
	long long deadline = now_ms() + g_timeout_ms;
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < deadline)
		usleep(5000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return fail("timeout: %s did not finish within %d ms", argv[0], g_timeout_ms);
	}
	if (r < 0)
		return fail("waitpid %s: %s", argv[0], strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return fail("%s %s failed (status 0x%x, see %s)", argv[0], dev, st, g_log_path);
	return true;
}

/* ---- making and removing ---------------------------------------------------------------------------- */

static void fs_teardown(struct fsys *fs)
{
	if (fs->mounted) {
		if (umount2(fs->mnt, 0) < 0) {
			logmsg("cleanup: umount %s: %s; detaching", fs->mnt, strerror(errno));
			umount2(fs->mnt, MNT_DETACH);
		}
		fs->mounted = false;
	}
	if (rmdir(fs->mnt) < 0 && errno != ENOENT)
		logmsg("cleanup: rmdir %s: %s", fs->mnt, strerror(errno));
	if (fs->loop_fd >= 0)
		close(fs->loop_fd);
	fs->loop_fd = -1;
	if (fs->img_fd >= 0)
		close(fs->img_fd);
	fs->img_fd = -1;
	if (fs->loop >= 0)
		loop_release(fs->loop, fs->img);
	fs->loop = -1;
	if (fs->img[0] && unlink(fs->img) < 0 && errno != ENOENT)
		logmsg("cleanup: unlink %s: %s", fs->img, strerror(errno));
	fs->used = false;
}

static bool make_block_fs(struct fsys *fs, const char *name, bool stable)
{
	const struct kind_info *k = &g_kinds[fs->kind];
	snprintf(fs->img, sizeof fs->img, "%s/%s.img", g_fsdir, name);
	fs->img_fd = open(fs->img, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fs->img_fd < 0)
		return fail("create %s: %s", fs->img, strerror(errno));
	if (ftruncate(fs->img_fd, k->image_mib << 20) < 0)
		return fail("ftruncate %s: %s", fs->img, strerror(errno));
	fs->loop_fd = loop_attach(fs->img_fd, fs->img, &fs->loop);
	if (fs->loop_fd < 0)
		return false;
	if (!loop_set_stable(fs->loop, stable))
		return false;
	char dev[32];
	snprintf(dev, sizeof dev, "/dev/loop%d", fs->loop);
	if (!run_mkfs(k->mkfs, dev))
		return false;
	if (mount(dev, fs->mnt, k->name, 0, k->mount_opts) < 0)
		return fail("mount %s (%s) on %s: %s", dev, k->name, fs->mnt, strerror(errno));
	fs->mounted = true;
	close(fs->loop_fd); /* the mount holds the device now; autoclear detaches it at umount */
	fs->loop_fd = -1;
	return true;
}

static bool make_fs(struct fsys *fs, const char *name, bool stable)
{
	if (mkdir(g_fsdir, 0755) < 0 && errno != EEXIST)
		return fail("mkdir %s: %s", g_fsdir, strerror(errno));
	snprintf(fs->mnt, sizeof fs->mnt, "%s/%s", g_fsdir, name);
	if (mkdir(fs->mnt, 0755) < 0)
		return fail("mkdir %s: %s", fs->mnt, strerror(errno));
	if (fs->kind != FS_TMPFS)
		return make_block_fs(fs, name, stable);
	if (mount(TMPFS_SOURCE, fs->mnt, "tmpfs", 0, g_kinds[FS_TMPFS].mount_opts) < 0)
		return fail("mount tmpfs on %s: %s", fs->mnt, strerror(errno));
	fs->mounted = true;
	return true;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

static bool parse_kind(const char *s, enum fs_kind *k)
{
	for (int i = 0; i < (int)(sizeof g_kinds / sizeof g_kinds[0]); i++)
		if (!strcmp(s, g_kinds[i].name)) {
			*k = (enum fs_kind)i;
			return true;
		}
	return false;
}

static struct fsys *free_entry(void)
{
	for (int i = 0; i < MAX_FS; i++)
		if (!g_fs[i].used)
			return &g_fs[i];
	return NULL;
}

/* why fs_make NAME KIND [stable] cannot be done now, or NULL */
static const char *refusal(const char *name, enum fs_kind kind, bool stable)
{
	if (procs_started())
		return "file systems are made before the first spawn";
	if (fs_find(name))
		return "a file system of that name already exists";
	if (!free_entry())
		return "too many file systems";
	if (stable && kind == FS_TMPFS)
		return "stable: tmpfs has no block device whose writes could be made stable";
	return NULL;
}

static void reply_made(const struct fsys *fs)
{
	char esc[PATH_MAX * 2], out[PATH_MAX * 2 + 128];
	jesc(esc, sizeof esc, fs->mnt);
	snprintf(out, sizeof out, "{\"ok\":true,\"mount\":\"%s\",\"loop\":%d}", esc, fs->loop);
	reply(out);
}

static bool cmd_fs_make(char **tok, int nt)
{
	enum fs_kind kind;
	if ((nt != 3 && nt != 4) || !valid_name(tok[1]) || !parse_kind(tok[2], &kind) ||
	    (nt == 4 && strcmp(tok[3], "stable"))) {
		reply_err("bad command: fs_make NAME ext4|xfs|btrfs|tmpfs [stable] (NAME: 1..32 of [A-Za-z0-9_-])");
		return true;
	}
	bool stable = nt == 4;
	const char *why = refusal(tok[1], kind, stable);
	if (why) {
		reply_err("fs_make %s: %s", tok[1], why);
		return true;
	}
	struct fsys *fs = free_entry();
	memset(fs, 0, sizeof *fs);
	fs->used = true;
	fs->kind = kind;
	fs->loop = fs->loop_fd = fs->img_fd = -1;
	snprintf(fs->name, sizeof fs->name, "%s", tok[1]);
	if (!make_fs(fs, tok[1], stable)) {
		fs_teardown(fs);
		reply_err("fs_make %s: %s", tok[1], g_err);
		return true;
	}
	logmsg("fs %s: %s mounted at %s (loop %d%s)", fs->name, g_kinds[kind].name, fs->mnt, fs->loop,
	       stable ? ", stable writes" : "");
	reply_made(fs);
	return true;
}

/* at cleanup: unmounts every file system, detaches its loop device, removes its image, then DIR/fs */
void fs_cleanup(void)
{
	for (int i = MAX_FS - 1; i >= 0; i--)
		if (g_fs[i].used)
			fs_teardown(&g_fs[i]);
	if (g_fsdir[0] && rmdir(g_fsdir) < 0 && errno != ENOENT)
		logmsg("cleanup: rmdir %s: %s", g_fsdir, strerror(errno));
}

/* in a new scenario process: closes the agent's image descriptors */
void fs_close_in_child(void)
{
	for (int i = 0; i < MAX_FS; i++)
		if (g_fs[i].used && g_fs[i].img_fd >= 0)
			close(g_fs[i].img_fd);
}

/* ---- a crashed agent's leftovers -------------------------------------------------------------------- */

/* NAME if path is DIR/fs/NAME.img (a valid NAME), optionally followed by " (deleted)"; else NULL */
static bool image_name(const char *path, char *name, size_t nsz)
{
	size_t pl = strlen(g_fsdir);
	if (strncmp(path, g_fsdir, pl) || path[pl] != '/')
		return false;
	const char *n = path + pl + 1, *dot = strstr(n, ".img");
	if (!dot || (dot[4] && strcmp(dot + 4, " (deleted)")) || (size_t)(dot - n) >= nsz)
		return false;
	snprintf(name, nsz, "%.*s", (int)(dot - n), n);
	return valid_name(name);
}

/* detaches every loop device whose backing file is an image DIR/fs/NAME.img */
static void detach_stale_loops(void)
{
	DIR *d = opendir("/sys/block");
	if (!d)
		return;
	char b[PATH_MAX], name[64];
	for (struct dirent *e; (e = readdir(d));) {
		int nr;
		if (sscanf(e->d_name, "loop%d", &nr) == 1 && loop_backing(nr, b, sizeof b) &&
		    image_name(b, name, sizeof name)) {
			fprintf(stderr, "pinlab-agent: detaching the stale /dev/loop%d of %s\n", nr, b);
			loop_clear(nr);
		}
	}
	closedir(d);
}

/* a mount the agent makes on DIR/fs/NAME: a tmpfs with the agent's source, or ext4/xfs/btrfs on a loop
 * device whose backing file is DIR/fs/NAME.img */
static bool own_fs_mount(const struct mntent_info *m)
{
	size_t pl = strlen(g_fsdir);
	if (strncmp(m->point, g_fsdir, pl) || m->point[pl] != '/' || !valid_name(m->point + pl + 1))
		return false;
	const char *name = m->point + pl + 1;
	if (!strcmp(m->fstype, "tmpfs"))
		return !strcmp(m->source, TMPFS_SOURCE);
	if (strcmp(m->fstype, "ext4") && strcmp(m->fstype, "xfs") && strcmp(m->fstype, "btrfs"))
		return false;
	int nr;
	char tail, b[PATH_MAX], iname[64];
	if (sscanf(m->source, "/dev/loop%d%c", &nr, &tail) != 1 || !loop_backing(nr, b, sizeof b))
		return false;
	return image_name(b, iname, sizeof iname) && !strcmp(iname, name);
}

struct fs_check {
	bool foreign;
	struct mntent_info m;
};

static bool fs_check_cb(const struct mntent_info *m, void *arg)
{
	struct fs_check *c = arg;
	if (!path_within(m->point, g_fsdir) || own_fs_mount(m))
		return true;
	c->foreign = true;
	c->m = *m;
	return false;
}

/* at startup, before anything is changed: every mount on or below DIR/fs must be one the agent makes */
void fs_check_dir(void)
{
	snprintf(g_fsdir, sizeof g_fsdir, "%s/fs", g_dir);
	struct fs_check c = {false, {0}};
	mountinfo_each(fs_check_cb, &c);
	if (c.foreign)
		startup_fail("%s: a mount the agent did not make is there (type %s, source %s); it is left alone",
			     c.m.point, c.m.fstype, c.m.source);
}

/* removes DIR/fs/NAME directories (mounts detached first) and DIR/fs/NAME.img images */
static void remove_stale_entry(const char *name)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s", g_fsdir, name);
	size_t n = strlen(name);
	if (n > 4 && !strcmp(name + n - 4, ".img")) {
		if (unlink(path) < 0)
			startup_fail("cannot remove the stale image %s: %s", path, strerror(errno));
		return;
	}
	if (rmdir(path) < 0)
		startup_fail("%s is not an agent's leftover (not an empty directory or an image): %s", path,
			     strerror(errno));
}

static void for_each_entry(void (*fn)(const char *name))
{
	DIR *d = opendir(g_fsdir);
	if (!d)
		startup_fail("opendir %s: %s", g_fsdir, strerror(errno));
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fn(e->d_name);
	closedir(d);
}

static void detach_stale_mount(const char *name)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s", g_fsdir, name);
	struct mntent_info m;
	for (int i = 0; i < 16 && mount_at(path, &m); i++) {
		if (!own_fs_mount(&m))
			startup_fail("%s: a mount the agent did not make is there (type %s, source %s); it is left alone",
				     path, m.fstype, m.source);
		if (umount2(path, MNT_DETACH) < 0)
			startup_fail("cannot detach the stale mount at %s: %s", path, strerror(errno));
		fprintf(stderr, "pinlab-agent: detached a stale mount at %s\n", path);
	}
}

/* at startup: DIR/fs must be absent, or hold only what a SIGKILLed agent left (mounts, loop devices,
 * images), which is removed */
void fs_prepare_dir(void)
{
	snprintf(g_fsdir, sizeof g_fsdir, "%s/fs", g_dir);
	struct stat st;
	if (lstat(g_fsdir, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode))
		startup_fail("%s exists and is not a directory", g_fsdir);
	for_each_entry(detach_stale_mount);
	detach_stale_loops();
	for_each_entry(remove_stale_entry);
	if (rmdir(g_fsdir) < 0)
		startup_fail("cannot remove %s: %s", g_fsdir, strerror(errno));
}

const struct agent_cmd fs_agent_cmds[] = {
	{"fs_make", cmd_fs_make},
	{NULL, NULL},
};
