/*
 * pinlab-agent: worker commands on the scenario process's address space: slots and cells, mmap (anonymous,
 * or of a scenario file of files.c) and friends, CPU loads and stores, and `probe`.
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uint8_t *slot_addr(long slot)
{
	return (uint8_t *)(BASE_ADDR + (unsigned long)slot * STRIDE);
}

uint8_t *cell_addr(long slot, long cell)
{
	return slot_addr(slot) + cell_off(cell);
}

size_t cell_off(long cell)
{
	return (size_t)(cell / 2) * PAGE_SZ + (size_t)(cell % 2) * 2048;
}

bool parse_slot(const char *s, long *slot)
{
	return parse_long(s, 0, MAX_SLOTS - 1, slot);
}

bool parse_cell(const char *s, long *cell)
{
	return parse_long(s, 0, MAX_CELL, cell);
}

bool parse_pages(const char *s, long *pages)
{
	return parse_long(s, 1, MAX_PAGES, pages);
}

static bool parse_prot(const char *s, int *prot)
{
	if (!strcmp(s, "rw"))
		*prot = PROT_READ | PROT_WRITE;
	else if (!strcmp(s, "r"))
		*prot = PROT_READ;
	else if (!strcmp(s, "none"))
		*prot = PROT_NONE;
	else
		return false;
	return true;
}

/* mmap ... file FID [PAGEOFF]: a mapping of a scenario file; replies ret so that EACCES can be seen */
static bool mmap_file(void *addr, size_t len, int prot, int flags, char **av, int ac, char *out, size_t osz)
{
	long fid, pgoff = 0;
	if ((ac != 7 && ac != 8) || !parse_fid(av[6], &fid) || (ac == 8 && !parse_long(av[7], 0, MAX_PAGES - 1, &pgoff)))
		return false;
	const struct pfile *f = file_get(fid);
	if (!f) {
		json_err(out, osz, "file %ld does not exist", fid);
		return true;
	}
	void *a = mmap(addr, len, prot, MAP_FIXED | flags, f->fd, (off_t)pgoff * (off_t)PAGE_SZ);
	int ret = a == MAP_FAILED ? -errno : madvise(a, len, MADV_NOHUGEPAGE) < 0 ? -errno : 0;
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

static bool w_mmap(char **av, int ac, char *out, size_t osz)
{
	long slot, pages;
	int prot;
	if (ac < 5 || !parse_slot(av[1], &slot) || !parse_pages(av[2], &pages) || !parse_prot(av[3], &prot) ||
	    (strcmp(av[4], "private") && strcmp(av[4], "shared")))
		return false;
	int flags = !strcmp(av[4], "private") ? MAP_PRIVATE : MAP_SHARED;
	size_t len = (size_t)pages * PAGE_SZ;
	if (ac > 5)
		return !strcmp(av[5], "file") && mmap_file(slot_addr(slot), len, prot, flags, av, ac, out, osz);
	void *a = mmap(slot_addr(slot), len, prot, MAP_FIXED | MAP_ANONYMOUS | flags, -1, 0);
	if (a == MAP_FAILED) {
		json_err(out, osz, "mmap: %s", strerror(errno));
		return true;
	}
	if (madvise(a, len, MADV_NOHUGEPAGE) < 0) {
		json_err(out, osz, "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
		return true;
	}
	snprintf(out, osz, "{\"ok\":true}");
	return true;
}

static bool w_mremap(char **av, int ac, char *out, size_t osz)
{
	long slot, pages, to;
	if (ac != 4 || !parse_slot(av[1], &slot) || !parse_pages(av[2], &pages) || !parse_slot(av[3], &to) ||
	    to == slot)
		return false;
	size_t len = (size_t)pages * PAGE_SZ;
	void *a = mremap(slot_addr(slot), len, len, MREMAP_MAYMOVE | MREMAP_FIXED, slot_addr(to));
	if (a == MAP_FAILED)
		json_err(out, osz, "mremap: %s", strerror(errno));
	else
		snprintf(out, osz, "{\"ok\":true}");
	return true;
}

static bool w_munmap(char **av, int ac, char *out, size_t osz)
{
	long slot, pages;
	if (ac != 3 || !parse_slot(av[1], &slot) || !parse_pages(av[2], &pages))
		return false;
	if (munmap(slot_addr(slot), (size_t)pages * PAGE_SZ) < 0)
		json_err(out, osz, "munmap: %s", strerror(errno));
	else
		snprintf(out, osz, "{\"ok\":true}");
	return true;
}

static bool w_mprotect(char **av, int ac, char *out, size_t osz)
{
	long slot, pages;
	int prot;
	if (ac != 4 || !parse_slot(av[1], &slot) || !parse_pages(av[2], &pages) || !parse_prot(av[3], &prot))
		return false;
	int ret = mprotect(slot_addr(slot), (size_t)pages * PAGE_SZ, prot) < 0 ? -errno : 0;
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

static const struct {
	const char *name;
	int value;
} g_advice[] = {
	{"dontneed", MADV_DONTNEED}, {"pageout", MADV_PAGEOUT}, {"cold", MADV_COLD},
	{"dontfork", MADV_DONTFORK}, {"dofork", MADV_DOFORK}, {"mergeable", MADV_MERGEABLE},
	{"unmergeable", MADV_UNMERGEABLE},
};

static bool parse_advice(const char *s, int *adv)
{
	for (size_t i = 0; i < sizeof g_advice / sizeof g_advice[0]; i++)
		if (!strcmp(s, g_advice[i].name)) {
			*adv = g_advice[i].value;
			return true;
		}
	return false;
}

/* madvise SLOT PAGES ADVICE [FIRST]: PAGES pages from page FIRST (default 0) of the slot */
static bool w_madvise(char **av, int ac, char *out, size_t osz)
{
	long slot, pages, first = 0;
	int adv;
	if ((ac != 4 && ac != 5) || !parse_slot(av[1], &slot) || !parse_pages(av[2], &pages) ||
	    !parse_advice(av[3], &adv) || (ac == 5 && !parse_long(av[4], 0, MAX_PAGES - pages, &first)))
		return false;
	int ret = madvise(slot_addr(slot) + (size_t)first * PAGE_SZ, (size_t)pages * PAGE_SZ, adv) < 0 ? -errno : 0;
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

static bool w_msync(char **av, int ac, char *out, size_t osz)
{
	long slot, pages;
	if (ac != 4 || !parse_slot(av[1], &slot) || !parse_pages(av[2], &pages))
		return false;
	int fl = !strcmp(av[3], "sync") ? MS_SYNC : !strcmp(av[3], "async") ? MS_ASYNC
						    : !strcmp(av[3], "invalidate") ? MS_INVALIDATE : -1;
	if (fl < 0)
		return false;
	int ret = msync(slot_addr(slot), (size_t)pages * PAGE_SZ, fl) < 0 ? -errno : 0;
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

static bool w_store(char **av, int ac, char *out, size_t osz)
{
	long slot, cell, v;
	if (ac != 4 || !parse_slot(av[1], &slot) || !parse_cell(av[2], &cell) || !parse_long(av[3], 0, 255, &v))
		return false;
	*(volatile uint8_t *)cell_addr(slot, cell) = (uint8_t)v; /* may SIGSEGV: the process dies */
	snprintf(out, osz, "{\"ok\":true}");
	return true;
}

static bool w_load(char **av, int ac, char *out, size_t osz)
{
	long slot, cell;
	if (ac != 3 || !parse_slot(av[1], &slot) || !parse_cell(av[2], &cell))
		return false;
	int val = *(volatile uint8_t *)cell_addr(slot, cell);
	snprintf(out, osz, "{\"ok\":true,\"value\":%d}", val);
	return true;
}

/* scans /proc/self/maps for the mapping holding address a */
static void maps_lookup(int fd, unsigned long a, bool *mapped, bool *readable)
{
	char buf[8192];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			len += (size_t)r;
		buf[len] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			unsigned long lo, hi;
			char perms[8];
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo <= a && a < hi) {
				*mapped = true;
				*readable = perms[0] == 'r';
			}
			line = nl + 1;
		}
		size_t rest = len - (size_t)(line - buf);
		memmove(buf, line, rest);
		len = rest;
		if (r <= 0 || *mapped)
			break;
	}
}

/* probe SLOT: is the slot's first page mapped in this process, and readable? */
static bool w_probe(char **av, int ac, char *out, size_t osz)
{
	long slot;
	if (ac != 2 || !parse_slot(av[1], &slot)) {
		json_err(out, osz, "bad command: probe SLOT");
		return true;
	}
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0) {
		json_err(out, osz, "probe: /proc/self/maps: %s", strerror(errno));
		return true;
	}
	bool mapped = false, readable = false;
	maps_lookup(fd, (unsigned long)slot_addr(slot), &mapped, &readable);
	close(fd);
	snprintf(out, osz, "{\"ok\":true,\"mapped\":%s,\"read\":%s}", mapped ? "true" : "false",
		 readable ? "true" : "false");
	return true;
}

const struct worker_cmd mem_worker_cmds[] = {
	{"mmap", w_mmap},
	{"mremap", w_mremap},
	{"probe", w_probe},
	{"munmap", w_munmap},
	{"mprotect", w_mprotect},
	{"madvise", w_madvise},
	{"msync", w_msync},
	{"store", w_store},
	{"load", w_load},
	{NULL, NULL},
};
