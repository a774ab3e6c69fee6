/*
 * pinlab-agent: O_DIRECT I/O from scenario processes.  `dio_read` / `dio_write` target the FUSE file
 * DIR/mnt/data (opened with FOPEN_DIRECT_IO, so the call blocks until the agent answers: the user pages stay
 * pinned meanwhile); the user buffer may be any mapping, a file mapping too.  `dio_read_file` /
 * `dio_write_file` are synchronous 4096-byte O_DIRECT reads and writes of one page of a scenario file (its
 * O_DIRECT descriptor from files.c) into or from one page of a slot.
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* O_DIRECT descriptors opened ahead by dio_open, so the read or write itself sends no OPEN request */
static int g_dio_fd[2] = {-1, -1};

static bool w_dio_open(char **av, int ac, char *out, size_t osz)
{
	(void)av;
	if (ac != 1)
		return false;
	for (int w = 0; w < 2; w++) {
		if (g_dio_fd[w] < 0)
			g_dio_fd[w] = open(g_data_path, (w ? O_WRONLY : O_RDONLY) | O_DIRECT);
		if (g_dio_fd[w] < 0) {
			snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", -errno);
			return true;
		}
	}
	snprintf(out, osz, "{\"ok\":true,\"ret\":0}");
	return true;
}

static bool w_dio(char **av, int ac, char *out, size_t osz)
{
	bool write = !strcmp(av[0], "dio_write");
	long slot, cell, foff = 0;
	if ((ac != 3 && ac != 4) || !parse_slot(av[1], &slot) || !parse_cell(av[2], &cell) ||
	    (ac == 4 && !parse_long(av[3], 0, (long)DATA_FILE_SIZE - 1, &foff))) {
		json_err(out, osz, "bad command: %s SLOT CELL [OFFSET]", av[0]);
		return true;
	}
	bool cached = g_dio_fd[write] >= 0;
	int fd = cached ? g_dio_fd[write] : open(g_data_path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", -errno);
		return true;
	}
	uint8_t *a = cell_addr(slot, cell);
	ssize_t r = write ? pwrite(fd, a, 1, foff) : pread(fd, a, 1, foff);
	int ret = r < 0 ? -errno : (int)r;
	if (!cached)
		close(fd);
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

/* dio_read_file|dio_write_file FID PAGE SLOT CELL: the buffer is the slot's page holding CELL */
static bool w_dio_file(char **av, int ac, char *out, size_t osz)
{
	bool write = !strcmp(av[0], "dio_write_file");
	long fid, page, slot, cell;
	if (ac != 5 || !parse_fid(av[1], &fid) || !parse_long(av[2], 0, MAX_PAGES - 1, &page) ||
	    !parse_slot(av[3], &slot) || !parse_cell(av[4], &cell))
		return false;
	const struct pfile *f = file_get(fid);
	if (!f) {
		json_err(out, osz, "file %ld does not exist", fid);
		return true;
	}
	if (f->dio_fd < 0) {
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", f->dio_err);
		return true;
	}
	uint8_t *buf = slot_addr(slot) + (size_t)(cell / 2) * PAGE_SZ;
	off_t off = (off_t)page * (off_t)PAGE_SZ;
	ssize_t r = write ? pwrite(f->dio_fd, buf, PAGE_SZ, off) : pread(f->dio_fd, buf, PAGE_SZ, off);
	snprintf(out, osz, "{\"ok\":true,\"ret\":%ld}", r < 0 ? (long)-errno : (long)r);
	return true;
}

const struct worker_cmd dio_worker_cmds[] = {
	{"dio_open", w_dio_open},
	{"dio_read", w_dio},
	{"dio_write", w_dio},
	{"dio_read_file", w_dio_file},
	{"dio_write_file", w_dio_file},
	{NULL, NULL},
};
