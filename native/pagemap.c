/*
 * pinlab-agent: what the kernel says about a scenario process's page: /proc/PID/pagemap (present, PFN,
 * exclusively mapped) and /proc/kpageflags of that PFN; `pageflags` reads the flags of a PFN learnt earlier
 * (a pinned page keeps its PFN after it was unmapped or dropped from the page cache).
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* the kpageflags word of pfn into *fl; false (errno set) if it cannot be read */
static bool kpageflags(uint64_t pfn, uint64_t *fl)
{
	int kf = open("/proc/kpageflags", O_RDONLY);
	if (kf < 0)
		return false;
	bool ok = pread(kf, fl, sizeof *fl, (off_t)(pfn * 8)) == (ssize_t)sizeof *fl;
	int e = errno;
	close(kf);
	errno = e;
	return ok;
}

static const char *jbool(uint64_t v)
{
	return v ? "true" : "false";
}

static bool cmd_pagemap(char **tok, int nt)
{
	long pid, slot, page;
	if (nt != 4 || !parse_long(tok[1], 1, INT_MAX, &pid) || !parse_slot(tok[2], &slot) ||
	    !parse_long(tok[3], 0, MAX_PAGES - 1, &page)) {
		reply_err("bad command: pagemap PID SLOT PAGE");
		return true;
	}
	uint64_t va = BASE_ADDR + (uint64_t)slot * STRIDE + (uint64_t)page * PAGE_SZ;
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/pagemap", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		reply_err("pagemap: open %s: %s", path, strerror(errno));
		return true;
	}
	uint64_t e = 0;
	ssize_t n = pread(fd, &e, sizeof e, (off_t)(va / PAGE_SZ * 8));
	int err = errno;
	close(fd);
	if (n != (ssize_t)sizeof e) {
		reply_err("pagemap: read %s: %s", path, n < 0 ? strerror(err) : "short read (process gone?)");
		return true;
	}
	bool present = (e >> 63) & 1;
	bool excl = (e >> 56) & 1;
	uint64_t pfn = present ? (e & ((1ULL << 55) - 1)) : 0;
	uint64_t fl = 0;
	if (present && pfn && !kpageflags(pfn, &fl)) {
		reply_err("pagemap: /proc/kpageflags: %s", strerror(errno));
		return true;
	}
	char out[256];
	snprintf(out, sizeof out,
		 "{\"ok\":true,\"present\":%s,\"pfn\":%llu,\"exclusive\":%s,\"zero\":%s,\"anon\":%s,\"thp\":%s,\"ksm\":%s}",
		 jbool(present), (unsigned long long)pfn, jbool(excl), jbool((fl >> 24) & 1), jbool((fl >> 12) & 1),
		 jbool((fl >> 22) & 1), jbool((fl >> 21) & 1));
	reply(out);
	return true;
}

/* /proc/kpagecount of pfn (how many times it is mapped); -1 if unknown */
static long kpagecount(uint64_t pfn)
{
	int fd = open("/proc/kpagecount", O_RDONLY);
	uint64_t c = 0;
	bool ok = fd >= 0 && pread(fd, &c, sizeof c, (off_t)(pfn * 8)) == (ssize_t)sizeof c;
	if (fd >= 0)
		close(fd);
	return ok ? (long)c : -1;
}

/* kpageflags bits (Documentation/admin-guide/mm/pagemap.rst); PRIVATE (35) is PG_private: for a page cache
 * folio of a block file system, buffer heads are attached */
static const struct {
	const char *name;
	int bit;
} g_flag_bits[] = {
	{"locked", 0}, {"referenced", 2}, {"uptodate", 3}, {"dirty", 4}, {"lru", 5}, {"active", 6},
	{"writeback", 8}, {"reclaim", 9}, {"buddy", 10}, {"mmap", 11}, {"anon", 12}, {"swapbacked", 14},
	{"unevictable", 18}, {"mappedtodisk", 34}, {"private", 35},
};

static bool cmd_pageflags(char **tok, int nt)
{
	long pfn;
	if (nt != 2 || !parse_long(tok[1], 1, LONG_MAX / 8, &pfn)) {
		reply_err("bad command: pageflags PFN");
		return true;
	}
	uint64_t fl;
	if (!kpageflags((uint64_t)pfn, &fl)) {
		reply_err("pageflags: /proc/kpageflags: %s", strerror(errno));
		return true;
	}
	char out[768];
	int o = snprintf(out, sizeof out, "{\"ok\":true,\"pfn\":%ld,\"mapcount\":%ld", pfn, kpagecount((uint64_t)pfn));
	for (size_t i = 0; i < sizeof g_flag_bits / sizeof g_flag_bits[0]; i++)
		o += snprintf(out + o, sizeof out - (size_t)o, ",\"%s\":%s", g_flag_bits[i].name,
			      jbool((fl >> g_flag_bits[i].bit) & 1));
	snprintf(out + o, sizeof out - (size_t)o, "}");
	reply(out);
	return true;
}

const struct agent_cmd pagemap_agent_cmds[] = {
	{"pagemap", cmd_pagemap},
	{"pageflags", cmd_pageflags},
	{NULL, NULL},
};
