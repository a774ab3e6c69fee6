/*
 * pinlab-agent: worker commands doing I/O on the scenario files of files.c through the descriptors every
 * scenario process inherited: buffered 1-byte pread/pwrite of a cell, the sync family, truncation, hole
 * punching, fadvise.  Each replies {"ok":true,"ret":R}, R the return value or -errno.
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* FID token to its file: NULL (malformed: *bad) or NULL after an error reply for a file never made */
static const struct pfile *worker_file(const char *tok, char *out, size_t osz, bool *bad)
{
	long fid;
	*bad = !parse_fid(tok, &fid);
	if (*bad)
		return NULL;
	const struct pfile *f = file_get(fid);
	if (!f)
		json_err(out, osz, "file %ld does not exist", fid);
	return f;
}

static bool reply_ret(char *out, size_t osz, long ret)
{
	snprintf(out, osz, "{\"ok\":true,\"ret\":%ld}", ret);
	return true;
}

static long sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

static bool parse_page(const char *s, long *page)
{
	return parse_long(s, 0, MAX_PAGES - 1, page);
}

/* pread FID CELL: {"ok":true,"ret":R,"value":V}, V -1 unless one byte was read */
static bool w_pread(char **av, int ac, char *out, size_t osz)
{
	long cell;
	bool bad = true;
	const struct pfile *f = ac == 3 && parse_cell(av[2], &cell) ? worker_file(av[1], out, osz, &bad) : NULL;
	if (!f)
		return !bad;
	uint8_t b;
	long r = sys_ret(pread(f->fd, &b, 1, (off_t)cell_off(cell)));
	snprintf(out, osz, "{\"ok\":true,\"ret\":%ld,\"value\":%d}", r, r == 1 ? b : -1);
	return true;
}

static bool w_pwrite(char **av, int ac, char *out, size_t osz)
{
	long cell, v;
	bool bad = true;
	const struct pfile *f = ac == 4 && parse_cell(av[2], &cell) && parse_long(av[3], 0, 255, &v)
					? worker_file(av[1], out, osz, &bad) : NULL;
	if (!f)
		return !bad;
	uint8_t b = (uint8_t)v;
	return reply_ret(out, osz, sys_ret(pwrite(f->fd, &b, 1, (off_t)cell_off(cell))));
}

/* fsync / fdatasync / syncfs FID */
static bool w_fsync_family(char **av, int ac, char *out, size_t osz)
{
	bool bad = true;
	const struct pfile *f = ac == 2 ? worker_file(av[1], out, osz, &bad) : NULL;
	if (!f)
		return !bad;
	int r = !strcmp(av[0], "fsync") ? fsync(f->fd) : !strcmp(av[0], "fdatasync") ? fdatasync(f->fd) : syncfs(f->fd);
	return reply_ret(out, osz, sys_ret(r));
}

static bool w_sync(char **av, int ac, char *out, size_t osz)
{
	(void)av;
	if (ac != 1)
		return false;
	sync();
	return reply_ret(out, osz, 0);
}

/* FLAGS: none, or '|'-joined wait_before, write, wait_after */
bool parse_sfr_flags(const char *s, unsigned *flags)
{
	*flags = 0;
	if (!strcmp(s, "none"))
		return true;
	char buf[64];
	snprintf(buf, sizeof buf, "%s", s);
	char *save = NULL;
	for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		if (!strcmp(t, "wait_before"))
			*flags |= SYNC_FILE_RANGE_WAIT_BEFORE;
		else if (!strcmp(t, "write"))
			*flags |= SYNC_FILE_RANGE_WRITE;
		else if (!strcmp(t, "wait_after"))
			*flags |= SYNC_FILE_RANGE_WAIT_AFTER;
		else
			return false;
	}
	return *flags != 0;
}

/* PAGE COUNT tokens: a range of whole pages */
static bool parse_range(char **av, off_t *off, off_t *len)
{
	long page, count;
	if (!parse_page(av[0], &page) || !parse_pages(av[1], &count))
		return false;
	*off = (off_t)page * (off_t)PAGE_SZ;
	*len = (off_t)count * (off_t)PAGE_SZ;
	return true;
}

static bool w_sync_file_range(char **av, int ac, char *out, size_t osz)
{
	off_t off, len;
	unsigned flags;
	bool bad = true;
	const struct pfile *f = ac == 5 && parse_range(av + 2, &off, &len) && parse_sfr_flags(av[4], &flags)
					? worker_file(av[1], out, osz, &bad) : NULL;
	if (!f)
		return !bad;
	return reply_ret(out, osz, sys_ret(sync_file_range(f->fd, off, len, flags)));
}

static bool w_ftruncate(char **av, int ac, char *out, size_t osz)
{
	long pages;
	bool bad = true;
	const struct pfile *f = ac == 3 && parse_long(av[2], 0, MAX_PAGES, &pages)
					? worker_file(av[1], out, osz, &bad) : NULL;
	if (!f)
		return !bad;
	return reply_ret(out, osz, sys_ret(ftruncate(f->fd, (off_t)pages * (off_t)PAGE_SZ)));
}

static bool w_punch(char **av, int ac, char *out, size_t osz)
{
	off_t off, len;
	bool bad = true;
	const struct pfile *f = ac == 4 && parse_range(av + 2, &off, &len) ? worker_file(av[1], out, osz, &bad) : NULL;
	if (!f)
		return !bad;
	return reply_ret(out, osz, sys_ret(fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len)));
}

static bool w_fadvise(char **av, int ac, char *out, size_t osz)
{
	off_t off, len;
	bool bad = true;
	const struct pfile *f = ac == 5 && parse_range(av + 2, &off, &len) && !strcmp(av[4], "dontneed")
					? worker_file(av[1], out, osz, &bad) : NULL;
	if (!f)
		return !bad;
	return reply_ret(out, osz, -posix_fadvise(f->fd, off, len, POSIX_FADV_DONTNEED));
}

const struct worker_cmd fileio_worker_cmds[] = {
	{"pread", w_pread},
	{"pwrite", w_pwrite},
	{"fsync", w_fsync_family},
	{"fdatasync", w_fsync_family},
	{"syncfs", w_fsync_family},
	{"sync", w_sync},
	{"sync_file_range", w_sync_file_range},
	{"ftruncate", w_ftruncate},
	{"punch", w_punch},
	{"fadvise", w_fadvise},
	{NULL, NULL},
};
