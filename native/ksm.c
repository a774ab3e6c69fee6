/*
 * pinlab-agent: KSM (kernel samepage merging) on demand.  ksmd normally scans on its own schedule; `ksm_merge`
 * runs it now, to completion, and stops it again, so that pages merge at that step and at no other:
 *   - the settings it changes (run, pages_to_scan, sleep_millisecs, smart_scan) are read at startup and
 *     written back at cleanup (shutdown, EOF, SIGTERM/SIGINT/SIGHUP, a startup failure);
 *   - before it first changes them it records the originals in DIR/ksm.saved, so that the next agent on the
 *     same DIR puts them back if this one was SIGKILLed in the middle (a ksmd left at run=1,
 *     sleep_millisecs=0 would spin).
 * Pages take part only if a worker `madvise`d them `mergeable` (MADV_MERGEABLE).
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KSM_DIR "/sys/kernel/mm/ksm/"

static const char *const g_ksm_knobs[] = {"run", "pages_to_scan", "sleep_millisecs", "smart_scan"};
#define NKNOBS (sizeof g_ksm_knobs / sizeof g_ksm_knobs[0])

static long g_saved[NKNOBS]; /* -1: the knob does not exist (smart_scan is 6.7+) */
static bool g_have_ksm;
static bool g_touched;       /* the agent changed a knob since it saved them */
static char g_saved_path[PATH_MAX + 16];

static long ksm_read(const char *knob)
{
	char path[128], buf[64];
	snprintf(path, sizeof path, KSM_DIR "%s", knob);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	long v;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return parse_long(buf, 0, LONG_MAX, &v) ? v : -1;
}

/* 0 or -errno */
static int ksm_write(const char *knob, long v)
{
	char path[128], buf[32];
	snprintf(path, sizeof path, KSM_DIR "%s", knob);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int len = snprintf(buf, sizeof buf, "%ld", v);
	int r = write(fd, buf, (size_t)len) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static void restore_values(const long *vals)
{
	/* stop first, so the scan rate is never raised while ksmd runs; run last */
	ksm_write("run", 0);
	for (size_t i = 1; i < NKNOBS; i++)
		if (vals[i] >= 0)
			ksm_write(g_ksm_knobs[i], vals[i]);
	if (vals[0] >= 0)
		ksm_write("run", vals[0]);
}

/* startup: settings a SIGKILLed agent left changed are restored from DIR/ksm.saved, then saved */
void ksm_startup(void)
{
	snprintf(g_saved_path, sizeof g_saved_path, "%s/ksm.saved", g_dir);
	g_have_ksm = access(KSM_DIR "run", W_OK) == 0;
	if (!g_have_ksm) {
		unlink(g_saved_path);
		return;
	}
	FILE *f = fopen(g_saved_path, "re");
	if (f) {
		long v[NKNOBS];
		bool ok = true;
		for (size_t i = 0; i < NKNOBS && ok; i++)
			ok = fscanf(f, "%ld", &v[i]) == 1;
		fclose(f);
		if (ok) {
			restore_values(v);
			logmsg("ksm: restored the settings a previous agent left changed (%s)", g_saved_path);
		}
		unlink(g_saved_path);
	}
	for (size_t i = 0; i < NKNOBS; i++)
		g_saved[i] = ksm_read(g_ksm_knobs[i]);
	logmsg("ksm: run=%ld pages_to_scan=%ld sleep_millisecs=%ld smart_scan=%ld", g_saved[0], g_saved[1], g_saved[2],
	       g_saved[3]);
}

/* cleanup: puts back what ksm_merge changed */
void ksm_restore(void)
{
	if (!g_touched)
		return;
	restore_values(g_saved);
	unlink(g_saved_path);
	g_touched = false;
	logmsg("ksm: settings restored");
}

bool ksm_available(void)
{
	return g_have_ksm;
}

static bool record_saved(void)
{
	if (g_touched)
		return true;
	FILE *f = fopen(g_saved_path, "we");
	if (!f)
		return false;
	for (size_t i = 0; i < NKNOBS; i++)
		fprintf(f, "%ld\n", g_saved[i]);
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (ok)
		g_touched = true;
	return ok;
}

/* whether a live scenario process has a mergeable region (else ksmd has nothing to scan and full_scans
 * stays where it is) */
static bool scenario_mergeable(void)
{
	reap_sweep();
	for (int i = 0; i < MAX_PROCS && g_procs[i].pid; i++) {
		char buf[1024];
		if (g_procs[i].reaped || !read_proc_file(g_procs[i].pid, "ksm_stat", buf, sizeof buf))
			continue;
		if (strstr(buf, "ksm_mergeable: yes") || strstr(buf, "ksm_merge_any: yes"))
			return true;
	}
	return false;
}

/*
 * ksm_merge: ksmd at full speed until full_scans has advanced by 3, then stopped (run=0: merged pages stay
 * merged).  Two identical pages merge in the second complete scan after they became mergeable (the first
 * records their checksums, the second finds the pair in the unstable tree); ksmd resumes a stopped scan
 * where it left it, so the first increment may end a partial scan, hence 3.  smart_scan (which skips pages
 * that failed to merge for a growing number of scans) is off meanwhile, so a page that could not merge at an
 * earlier step (pinned) is looked at again.
 */
static bool cmd_ksm_merge(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	if (!g_have_ksm) {
		reply_err("ksm_merge: KSM is not available (" KSM_DIR "run not writable)");
		return true;
	}
	if (!scenario_mergeable()) {
		/* nothing of the scenario can merge: ksmd is not started */
		long shared = ksm_read("pages_shared"), sharing = ksm_read("pages_sharing");
		char out[256];
		snprintf(out, sizeof out,
			 "{\"ok\":true,\"full_scans\":0,\"ms\":0,\"pages_shared\":%ld,\"pages_sharing\":%ld,"
			 "\"shared_delta\":0,\"sharing_delta\":0}",
			 shared, sharing);
		reply(out);
		return true;
	}
	if (!record_saved()) {
		reply_err("ksm_merge: cannot record the KSM settings in %s: %s", g_saved_path, strerror(errno));
		return true;
	}
	long shared0 = ksm_read("pages_shared"), sharing0 = ksm_read("pages_sharing");
	long scans0 = ksm_read("full_scans");
	int r = ksm_write("run", 0);
	if (!r)
		r = ksm_write("pages_to_scan", 100000);
	if (!r)
		r = ksm_write("sleep_millisecs", 0);
	if (!r && g_saved[3] >= 0)
		r = ksm_write("smart_scan", 0);
	if (!r)
		r = ksm_write("run", 1);
	if (r) {
		ksm_write("run", 0);
		reply_err("ksm_merge: writing " KSM_DIR ": %s", strerror(-r));
		return true;
	}
	long long t0 = now_ms(), deadline = t0 + g_timeout_ms;
	long scans = scans0;
	while ((scans = ksm_read("full_scans")) < scans0 + 3 && now_ms() < deadline)
		agent_poll(NULL, 0, now_ms() + 1);
	ksm_write("run", 0);
	if (scans < scans0 + 3) {
		reply_err("timeout: ksm_merge: full_scans advanced by %ld in %d ms", scans - scans0, g_timeout_ms);
		return true;
	}
	long shared = ksm_read("pages_shared"), sharing = ksm_read("pages_sharing");
	char out[320];
	snprintf(out, sizeof out,
		 "{\"ok\":true,\"full_scans\":%ld,\"ms\":%lld,\"pages_shared\":%ld,\"pages_sharing\":%ld,"
		 "\"shared_delta\":%ld,\"sharing_delta\":%ld}",
		 scans - scans0, now_ms() - t0, shared, sharing, shared - shared0, sharing - sharing0);
	reply(out);
	return true;
}

/* ksm_stat PID: /proc/PID/ksm_stat's ksm_merging_pages (pages of the process that are KSM pages) */
static bool cmd_ksm_stat(char **tok, int nt)
{
	long pid;
	if (nt != 2 || !parse_long(tok[1], 1, INT_MAX, &pid)) {
		reply_err("bad command: ksm_stat PID");
		return true;
	}
	char buf[1024];
	if (!read_proc_file((pid_t)pid, "ksm_stat", buf, sizeof buf)) {
		reply_err("ksm_stat: /proc/%ld/ksm_stat: %s", pid, strerror(errno));
		return true;
	}
	const char *m = strstr(buf, "ksm_merging_pages ");
	long merging = m ? strtol(m + 18, NULL, 10) : -1;
	const char *z = strstr(buf, "ksm_zero_pages ");
	long zero = z ? strtol(z + 15, NULL, 10) : -1;
	char out[128];
	snprintf(out, sizeof out, "{\"ok\":true,\"merging_pages\":%ld,\"zero_pages\":%ld}", merging, zero);
	reply(out);
	return true;
}

const struct agent_cmd ksm_agent_cmds[] = {
	{"ksm_merge", cmd_ksm_merge},
	{"ksm_stat", cmd_ksm_stat},
	{NULL, NULL},
};
