/*
 * pinlab-agent: the page cache of scenario files as the agent observes it: `cache_state` (cachestat(2),
 * which only reads the mapping's xarray: it neither faults a page in nor changes its LRU state) and
 * `drop_caches` (the global /proc/sys/vm/drop_caches, without a sync).
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* Linux 6.5, the same number on every architecture */
#endif

struct cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;
	uint64_t nr_recently_evicted;
};

static const char *jb(uint64_t v)
{
	return v ? "true" : "false";
}

/* cachestat of LEN bytes from OFF (LEN 0: to the end of the file) */
static int range_cachestat(const struct pfile *f, uint64_t off, uint64_t len, struct cachestat *cs)
{
	struct cachestat_range r = {off, len};
	memset(cs, 0, sizeof *cs);
	return syscall(__NR_cachestat, f->fd, &r, cs, 0) < 0 ? -errno : 0;
}

/* 1 if a page of the range (LEN 0: to the end) is dirty or under writeback, 0 if not, -errno on failure */
int range_dirty_or_writeback(const struct pfile *f, uint64_t off, uint64_t len)
{
	struct cachestat cs;
	int r = range_cachestat(f, off, len, &cs);
	return r < 0 ? r : cs.nr_dirty || cs.nr_writeback;
}

static bool cmd_cache_state(char **tok, int nt)
{
	long fid, page;
	if (nt != 3 || !parse_fid(tok[1], &fid) || !parse_long(tok[2], 0, MAX_PAGES - 1, &page)) {
		reply_err("bad command: cache_state FID PAGE");
		return true;
	}
	const struct pfile *f = file_get(fid);
	if (!f) {
		reply_err("cache_state: file %ld does not exist", fid);
		return true;
	}
	struct cachestat cs;
	int e = range_cachestat(f, (uint64_t)page * PAGE_SZ, PAGE_SZ, &cs);
	if (e < 0) {
		reply_err("cache_state: cachestat: %s (Linux >= 6.5 with CONFIG_CACHESTAT_SYSCALL)", strerror(-e));
		return true;
	}
	char out[192];
	snprintf(out, sizeof out,
		 "{\"ok\":true,\"cached\":%s,\"dirty\":%s,\"writeback\":%s,\"evicted\":%s,\"recently_evicted\":%s}",
		 jb(cs.nr_cache), jb(cs.nr_dirty), jb(cs.nr_writeback), jb(cs.nr_evicted), jb(cs.nr_recently_evicted));
	reply(out);
	return true;
}

static bool cmd_drop_caches(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		reply_err("drop_caches: /proc/sys/vm/drop_caches: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return true;
	}
	close(fd);
	reply("{\"ok\":true}");
	return true;
}

const struct agent_cmd cache_agent_cmds[] = {
	{"cache_state", cmd_cache_state},
	{"drop_caches", cmd_drop_caches},
	{NULL, NULL},
};
