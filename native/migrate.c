/*
 * pinlab-agent: page migration of a scenario process's page, asked for from user space (`migrate`).
 *
 * What works depends on the machine (docs/replay-protocol.md, *Migration*):
 *   - move: move_pages(2) of the one page to another NUMA node with memory (only with two or more);
 *   - offline: memory hot-unplug of the 128 MiB memory block holding the page's PFN (writing "offline" to
 *     /sys/devices/system/memory/memoryN/state), which migrates every movable page of the block, and then
 *     "online" again.  The kernel retries a page it cannot migrate (pinned, or referenced) until a signal is
 *     pending, so the write is interrupted by a timer signal after a bound (-EINTR).  A block holding
 *     unmovable kernel memory is refused at once (-EBUSY) and nothing moves;
 *   - compact: /proc/sys/vm/compact_memory (all zones; it moves the page only if it lies below where the
 *     compaction scanners meet, so whether this page moves is not up to the scenario).
 * Soft offline (MADV_SOFT_OFFLINE) would migrate exactly one page but needs CONFIG_MEMORY_FAILURE and
 * retires the old frame; it is not used.
 */
#include "agent.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MPOL_MF_MOVE_ALL
#define MPOL_MF_MOVE_ALL (1 << 2)
#endif

/* the PFN mapped at va in pid, 0 if none; -1 (errno set) if pagemap cannot be read */
static long long pid_pfn(pid_t pid, uint64_t va)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	uint64_t e = 0;
	ssize_t n = pread(fd, &e, sizeof e, (off_t)(va / PAGE_SZ * 8));
	int err = errno;
	close(fd);
	if (n != (ssize_t)sizeof e) {
		errno = n < 0 ? err : ESRCH;
		return -1;
	}
	return (e >> 63) & 1 ? (long long)(e & ((1ULL << 55) - 1)) : 0;
}

/* the nodes with memory, from /sys/devices/system/node/has_memory ("0", "0-1", "0,2"); returns how many */
static int memory_nodes(int *nodes, int max)
{
	char buf[256];
	int fd = open("/sys/devices/system/node/has_memory", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	int cnt = 0;
	char *p = buf;
	while (*p && *p != '\n' && cnt < max) {
		char *e;
		long lo = strtol(p, &e, 10), hi = lo;
		if (e == p)
			break;
		if (*e == '-')
			hi = strtol(e + 1, &e, 10);
		for (long v = lo; v <= hi && cnt < max; v++)
			nodes[cnt++] = (int)v;
		p = *e == ',' ? e + 1 : e;
		if (*e != ',')
			break;
	}
	return cnt;
}

int migrate_node_count(void)
{
	int nodes[64];
	return memory_nodes(nodes, 64);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* writes s to path, interrupted by SIGALRM to this thread after ms; 0 or -errno */
static int write_bounded(const char *path, const char *s, int ms)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old); /* no SA_RESTART: the write returns -EINTR */
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM};
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid); /* this thread, not the FUSE daemon's */
	timer_t t;
	bool timer = timer_create(CLOCK_MONOTONIC, &sev, &t) == 0;
	if (timer) {
		struct itimerspec its = {.it_value = {ms / 1000, (long)(ms % 1000) * 1000000L}};
		timer_settime(t, 0, &its, NULL);
	}
	int r = write(fd, s, strlen(s)) < 0 ? -errno : 0;
	if (timer)
		timer_delete(t);
	sigaction(SIGALRM, &old, NULL);
	close(fd);
	return r;
}

static long block_size(void)
{
	char buf[64];
	int fd = open("/sys/devices/system/memory/block_size_bytes", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 16);
}

static void block_state(const char *path, char *st, size_t sz)
{
	st[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, st, sz - 1);
	close(fd);
	st[n > 0 ? n : 0] = 0;
	char *nl = strchr(st, '\n');
	if (nl)
		*nl = 0;
}

/*
 * DIR/memory.offline records the memory block being taken offline ("BLOCK\n", fsynced before the write of
 * "offline"), and is deleted once the block is online again.  An agent SIGKILLed in between leaves it: the
 * next agent (or cleanup run) on the same DIR brings the block back online (migrate_restore).
 */
static char g_mem_path[PATH_MAX + 24];

static const char *mem_path(void)
{
	if (!g_mem_path[0])
		snprintf(g_mem_path, sizeof g_mem_path, "%s/memory.offline", g_dir);
	return g_mem_path;
}

static bool record_block(long block)
{
	int fd = open(mem_path(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%ld\n", block);
	bool ok = write(fd, buf, (size_t)len) == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	return ok;
}

/* brings the memory blocks DIR/memory.offline names back online; the record is deleted once every one is
 * online (or gone) */
void migrate_restore(void)
{
	FILE *f = fopen(mem_path(), "re");
	if (!f)
		return;
	char line[64];
	bool all = true;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		long block;
		if (!parse_long(line, 0, INT_MAX, &block))
			continue;
		char path[128], st[32];
		snprintf(path, sizeof path, "/sys/devices/system/memory/memory%ld/state", block);
		block_state(path, st, sizeof st);
		if (!strcmp(st, "offline")) {
			int r = write_bounded(path, "online", g_timeout_ms / 2 > 0 ? g_timeout_ms / 2 : 1);
			block_state(path, st, sizeof st);
			logmsg("migrate: memory block %ld a previous step left offline: online %d, now %s", block, r, st);
		}
		if (st[0] && strcmp(st, "online")) {
			all = false;
			logmsg("migrate: memory block %ld is %s; %s kept", block, st, mem_path());
		}
	}
	fclose(f);
	if (all)
		unlink(mem_path());
}

/* offline: the block of pfn; fills ret/online_ret/block */
static bool migrate_offline(long long pfn, int *ret, int *online_ret, long *block, char *err, size_t esz)
{
	long bs = block_size();
	if (bs <= 0) {
		snprintf(err, esz, "no memory hotplug (/sys/devices/system/memory/block_size_bytes)");
		return false;
	}
	*block = (long)((uint64_t)pfn * PAGE_SZ / (uint64_t)bs);
	char path[128], st[32];
	snprintf(path, sizeof path, "/sys/devices/system/memory/memory%ld/state", *block);
	if (access(path, W_OK) < 0) {
		snprintf(err, esz, "%s: %s", path, strerror(errno));
		return false;
	}
	int ms = g_timeout_ms / 4 < 1000 ? g_timeout_ms / 4 : 1000;
	if (!record_block(*block)) {
		snprintf(err, esz, "cannot record the block in DIR/memory.offline: %s", strerror(errno));
		return false;
	}
	*ret = write_bounded(path, "offline", ms > 0 ? ms : 1);
	block_state(path, st, sizeof st);
	if (!strcmp(st, "offline")) {
		*online_ret = write_bounded(path, "online", g_timeout_ms / 2 > 0 ? g_timeout_ms / 2 : 1);
		block_state(path, st, sizeof st);
		logmsg("migrate: memory block %ld offline %d, online %d, now %s", *block, *ret, *online_ret, st);
		if (strcmp(st, "online")) {
			snprintf(err, esz, "memory block %ld is %s after offline+online (online: %s)", *block, st,
				 strerror(-*online_ret));
			return false;
		}
	} else {
		logmsg("migrate: memory block %ld offline %d, state %s", *block, *ret, st);
	}
	if (!strcmp(st, "online"))
		unlink(mem_path());
	return true;
}

static bool parse_method(const char *s, int *m)
{
	static const char *const names[] = {"auto", "move", "offline", "compact"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*m = i;
			return true;
		}
	return false;
}

/* migrate PID SLOT PAGE [auto|move|offline|compact] */
static bool cmd_migrate(char **tok, int nt)
{
	long pid, slot, page;
	int method = 0;
	if ((nt != 4 && nt != 5) || !parse_long(tok[1], 1, INT_MAX, &pid) || !parse_slot(tok[2], &slot) ||
	    !parse_long(tok[3], 0, MAX_PAGES - 1, &page) || (nt == 5 && !parse_method(tok[4], &method))) {
		reply_err("bad command: migrate PID SLOT PAGE [auto|move|offline|compact]");
		return true;
	}
	uint64_t va = BASE_ADDR + (uint64_t)slot * STRIDE + (uint64_t)page * PAGE_SZ;
	long long before = pid_pfn((pid_t)pid, va);
	if (before < 0) {
		reply_err("migrate: /proc/%ld/pagemap: %s", pid, strerror(errno));
		return true;
	}
	if (before == 0) {
		reply_err("migrate: page %ld of slot %ld is not present in %ld", page, slot, pid);
		return true;
	}
	int nodes[64];
	int nn = memory_nodes(nodes, 64);
	if (method == 0)
		method = nn > 1 ? 1 : 2;
	char out[512], extra[160] = "", err[256] = "";
	const char *mname = method == 1 ? "move" : method == 2 ? "offline" : "compact";
	int ret = 0;
	if (method == 1) {
		void *addr = (void *)(uintptr_t)va;
		int cur = -1, target = -1, st = -1;
		long r = syscall(SYS_move_pages, (int)pid, 1UL, &addr, NULL, &cur, 0);
		for (int i = 0; i < nn && target < 0; i++)
			if (nodes[i] != cur)
				target = nodes[i];
		if (r < 0) {
			ret = -errno;
		} else if (target < 0) {
			ret = -ENODEV; /* no other node */
		} else {
			r = syscall(SYS_move_pages, (int)pid, 1UL, &addr, &target, &st, MPOL_MF_MOVE_ALL);
			ret = r < 0 ? -errno : st;
		}
		snprintf(extra, sizeof extra, ",\"node_before\":%d,\"node\":%d", cur, target);
	} else if (method == 2) {
		int online_ret = 0;
		long block = -1;
		bool ok = migrate_offline(before, &ret, &online_ret, &block, err, sizeof err);
		if (!ok) {
			reply_err("migrate: %s", err);
			return true;
		}
		snprintf(extra, sizeof extra, ",\"block\":%ld,\"online_ret\":%d", block, online_ret);
	} else {
		int fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC);
		ret = fd < 0 ? -errno : write(fd, "1", 1) < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	long long after = pid_pfn((pid_t)pid, va);
	snprintf(out, sizeof out,
		 "{\"ok\":true,\"method\":\"%s\",\"ret\":%d%s,\"pfn_before\":%lld,\"pfn_after\":%lld,\"moved\":%s}",
		 mname, ret, extra, before, after, after > 0 && after != before ? "true" : "false");
	reply(out);
	return true;
}

const struct agent_cmd migrate_agent_cmds[] = {
	{"migrate", cmd_migrate},
	{NULL, NULL},
};
