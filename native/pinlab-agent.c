/*
 * pinlab-agent: replays pinlab scenarios on the running Linux kernel.
 *
 * Line protocol on stdin/stdout: see docs/replay-protocol.md.  This file is the entry point: the command
 * loop on stdin and the dispatch of agent commands to the tables of the files that define them.
 *
 * Structure (one concern per file; native/sources.txt lists them, agent.h is what they share)
 *   - The agent process: the main thread reads commands from stdin and writes one JSON line per command to
 *     stdout (protocol.c); a second thread runs the FUSE daemon (fuse.c).
 *   - Scenario processes (procs.c): `spawn` forks one from the agent's main thread; the `fork` worker command
 *     forks one from a scenario process (worker.c).  Every scenario process runs one worker pthread per
 *     channel it serves (worker.c); the agent talks to it through the channel's pipes (channels.c).
 *   - Scenario files: file systems on loop devices or tmpfs (fs.c), the files on them and memfds
 *     (files.c).
 *   - Worker commands: the address space (mem.c), data pipes (pipes.c), io_uring (uring.c), O_DIRECT
 *     (dio.c), file I/O (fileio.c).
 *   - Agent-side I/O and observation: writeback, reads and error checks through the agent's own file
 *     descriptors (ownio.c), page tables and page flags (pagemap.c), the bytes on the disk (disk.c), the
 *     page cache (cache.c), the kernel log (kmsg.c).
 *   - The agent and its processes run on one CPU (lifecycle.c), so that every per-CPU folio batch is drained
 *     where reclaim runs.
 *   - Nothing outlives the agent (lifecycle.c): every scenario process has PR_SET_PDEATHSIG(SIGKILL), the
 *     agent is a child subreaper, and cleanup SIGKILLs every known pid, fails every queued FUSE request,
 *     reaps, unmounts FUSE and the file systems, detaches their loop devices and removes their images.
 *
 * Build: native/build.sh [OUT]
 */
#include "agent.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static bool cmd_hello(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	struct utsname u;
	uname(&u);
	char esc[256], out[640];
	jesc(esc, sizeof esc, u.release);
	snprintf(out, sizeof out,
		 "{\"ok\":true,\"agent\":\"pinlab-agent\",\"protocol\":%d,\"kernel\":\"%s\",\"cpu\":%d,"
		 "\"ksm\":%s,\"numa_nodes\":%d,\"uprobes\":%s}",
		 PROTOCOL_VERSION, esc, g_cpu, ksm_available() ? "true" : "false", migrate_node_count(),
		 uprobe_available() ? "true" : "false");
	reply(out);
	return true;
}

static bool cmd_shutdown(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	logmsg("shutdown");
	g_shutdown_reply = true; /* replied once everything is gone */
	cleanup_and_exit(0);
}

static const struct agent_cmd g_main_cmds[] = {
	{"hello", cmd_hello},
	{"shutdown", cmd_shutdown},
	{NULL, NULL},
};

static const struct agent_cmd *const g_agent_tables[] = {
	g_main_cmds, channel_agent_cmds, proc_agent_cmds, pipe_agent_cmds, fuse_agent_cmds, pagemap_agent_cmds,
	fs_agent_cmds, file_agent_cmds, ownio_agent_cmds, disk_agent_cmds, cache_agent_cmds, kmsg_agent_cmds,
	ksm_agent_cmds, migrate_agent_cmds, remote_agent_cmds, uprobe_agent_cmds,
};

static void dispatch(char *line)
{
	char copy[8192];
	snprintf(copy, sizeof copy, "%s", line);
	char *tok[MAX_TOKENS];
	int nt = tokenize(line, tok, MAX_TOKENS);
	if (nt < 0) {
		reply_err("bad command: too many tokens");
		return;
	}
	if (nt == 0) {
		reply_err("bad command: empty line");
		return;
	}
	for (size_t t = 0; t < sizeof g_agent_tables / sizeof g_agent_tables[0]; t++)
		for (const struct agent_cmd *a = g_agent_tables[t]; a->name; a++)
			if (!strcmp(tok[0], a->name)) {
				if (!a->run(tok, nt))
					reply_err("bad command: %s", copy);
				return;
			}
	reply_err("bad command: %s", copy);
}

/* one command line of len bytes (NUL-terminated at len): a NUL or another byte that is not printable ASCII
 * inside it makes it a bad command, as does a line that is too long */
static void run_line(char *line, size_t len)
{
	long b = bad_byte(line, len);
	if (b >= 0)
		reply_err("bad command: byte 0x%02x at offset %ld (a command is printable ASCII)",
			  (unsigned char)line[b], b);
	else if (len > 8000)
		reply_err("bad command: line too long");
	else
		dispatch(line);
}

/* reads commands from stdin until EOF, one line at a time */
static void command_loop(void)
{
	static char in[65536];
	size_t inlen = 0;
	bool skipping = false;
	for (;;) {
		char *nl = memchr(in, '\n', inlen);
		if (nl) {
			*nl = 0;
			size_t l = (size_t)(nl - in) + 1;
			static char line[65536];
			memcpy(line, in, l);
			memmove(in, in + l, inlen - l);
			inlen -= l;
			if (skipping) {
				skipping = false;
				continue;
			}
			check_signal();
			run_line(line, l - 1);
			continue;
		}
		if (inlen == sizeof in) {
			if (!skipping)
				reply_err("bad command: line too long");
			skipping = true;
			inlen = 0;
		}
		struct pollfd pf = {.fd = 0, .events = POLLIN};
		agent_poll(&pf, 1, -1);
		if (!pf.revents)
			continue;
		ssize_t n = read(0, in + inlen, sizeof in - inlen);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (inlen > 0 && !skipping) {
				in[inlen] = 0;
				run_line(in, inlen);
			}
			return;
		}
		inlen += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	startup(argc, argv);
	command_loop();
	logmsg("EOF on stdin");
	cleanup_and_exit(0);
}
