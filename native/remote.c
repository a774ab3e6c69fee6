/*
 * pinlab-agent: another process's memory, written and read by the agent (a process other than the target),
 * the three ways a debugger can:
 *   - `mem_write`/`mem_read`: pwrite/pread of /proc/PID/mem (FOLL_FORCE, subject to proc_mem.force_override);
 *   - `ptrace_poke`/`ptrace_peek`: PTRACE_SEIZE + PTRACE_INTERRUPT of the target's main thread, waitpid for
 *     the stop, PTRACE_PEEKDATA/POKEDATA (FOLL_FORCE), PTRACE_DETACH;
 *   - `vm_write`/`vm_read`: process_vm_writev/readv (no FOLL_FORCE).
 * Each acts on one cell of a slot of process PID and replies the call's result as R (bytes, or 0, or -errno).
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

struct target {
	pid_t pid;
	uint64_t va;
	long value; /* -1 for a read */
};

static bool parse_target(char **tok, int nt, bool write, struct target *t)
{
	long pid, slot, cell, v = -1;
	if (nt != (write ? 5 : 4) || !parse_long(tok[1], 1, INT_MAX, &pid) || !parse_slot(tok[2], &slot) ||
	    !parse_cell(tok[3], &cell) || (write && !parse_long(tok[4], 0, 255, &v)))
		return false;
	t->pid = (pid_t)pid;
	t->va = BASE_ADDR + (uint64_t)slot * STRIDE + cell_off(cell);
	t->value = v;
	return true;
}

static void reply_rv(long ret, int value, bool with_value)
{
	char out[96];
	if (with_value)
		snprintf(out, sizeof out, "{\"ok\":true,\"ret\":%ld,\"value\":%d}", ret, value);
	else
		snprintf(out, sizeof out, "{\"ok\":true,\"ret\":%ld}", ret);
	reply(out);
}

static bool proc_mem(char **tok, int nt, bool write)
{
	struct target t;
	if (!parse_target(tok, nt, write, &t)) {
		reply_err(write ? "bad command: mem_write PID SLOT CELL VALUE" : "bad command: mem_read PID SLOT CELL");
		return true;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)t.pid);
	int fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		reply_rv(-errno, -1, !write);
		return true;
	}
	uint8_t b = (uint8_t)t.value;
	ssize_t r = write ? pwrite(fd, &b, 1, (off_t)t.va) : pread(fd, &b, 1, (off_t)t.va);
	long ret = r < 0 ? -errno : r;
	close(fd);
	reply_rv(ret, r == 1 ? b : -1, !write);
	return true;
}

static bool cmd_mem_write(char **tok, int nt)
{
	return proc_mem(tok, nt, true);
}

static bool cmd_mem_read(char **tok, int nt)
{
	return proc_mem(tok, nt, false);
}

static bool vm_rw(char **tok, int nt, bool write)
{
	struct target t;
	if (!parse_target(tok, nt, write, &t)) {
		reply_err(write ? "bad command: vm_write PID SLOT CELL VALUE" : "bad command: vm_read PID SLOT CELL");
		return true;
	}
	uint8_t b = (uint8_t)t.value;
	struct iovec l = {&b, 1}, r = {(void *)(uintptr_t)t.va, 1};
	ssize_t n = write ? process_vm_writev(t.pid, &l, 1, &r, 1, 0) : process_vm_readv(t.pid, &l, 1, &r, 1, 0);
	reply_rv(n < 0 ? -errno : n, n == 1 ? b : -1, !write);
	return true;
}

static bool cmd_vm_write(char **tok, int nt)
{
	return vm_rw(tok, nt, true);
}

static bool cmd_vm_read(char **tok, int nt)
{
	return vm_rw(tok, nt, false);
}

/* waits for the ptrace stop of pid; false on timeout or if it died (its wait status is recorded then) */
static bool wait_stop(pid_t pid, char *err, size_t esz)
{
	long long deadline = now_ms() + worker_timeout_ms();
	for (;;) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG | __WALL);
		if (w == pid && WIFSTOPPED(st))
			return true;
		if (w == pid) {
			struct proc *pr = proc_add(pid);
			if (pr) {
				pr->reaped = true;
				pr->status = st;
			}
			snprintf(err, esz, "died");
			return false;
		}
		if (w < 0 && errno != EINTR) {
			snprintf(err, esz, "waitpid: %s", strerror(errno));
			return false;
		}
		if (now_ms() > deadline) {
			snprintf(err, esz, "timeout: no ptrace stop");
			return false;
		}
		agent_poll(NULL, 0, now_ms() + 1);
	}
}

static bool ptrace_rw(char **tok, int nt, bool write)
{
	struct target t;
	if (!parse_target(tok, nt, write, &t)) {
		reply_err(write ? "bad command: ptrace_poke PID SLOT CELL VALUE" : "bad command: ptrace_peek PID SLOT CELL");
		return true;
	}
	if (ptrace(PTRACE_SEIZE, t.pid, 0, 0) < 0) {
		reply_err("ptrace_%s: PTRACE_SEIZE %d: %s", write ? "poke" : "peek", (int)t.pid, strerror(errno));
		return true;
	}
	char err[128];
	bool stopped = false;
	if (ptrace(PTRACE_INTERRUPT, t.pid, 0, 0) < 0)
		snprintf(err, sizeof err, "PTRACE_INTERRUPT: %s", strerror(errno));
	else
		stopped = wait_stop(t.pid, err, sizeof err);
	if (!stopped) {
		ptrace(PTRACE_DETACH, t.pid, 0, 0);
		reply_err("ptrace_%s: %s", write ? "poke" : "peek", err);
		return true;
	}
	/* one word at the cell: a cell is 0 or 2048 bytes into its page, so the word never crosses a page */
	void *addr = (void *)(uintptr_t)t.va;
	errno = 0;
	long word = ptrace(PTRACE_PEEKDATA, t.pid, addr, 0);
	long ret = errno ? -errno : 0;
	int value = ret ? -1 : (int)(word & 0xff);
	if (!ret && write) {
		word = (long)(((unsigned long)word & ~0xffUL) | (unsigned long)t.value); /* x86: the cell is the low byte */
		ret = ptrace(PTRACE_POKEDATA, t.pid, addr, (void *)word) < 0 ? -errno : 0;
	}
	if (ptrace(PTRACE_DETACH, t.pid, 0, 0) < 0)
		logmsg("ptrace: PTRACE_DETACH %d: %s", (int)t.pid, strerror(errno));
	reply_rv(ret, value, !write);
	return true;
}

static bool cmd_ptrace_poke(char **tok, int nt)
{
	return ptrace_rw(tok, nt, true);
}

static bool cmd_ptrace_peek(char **tok, int nt)
{
	return ptrace_rw(tok, nt, false);
}

const struct agent_cmd remote_agent_cmds[] = {
	{"mem_write", cmd_mem_write},
	{"mem_read", cmd_mem_read},
	{"vm_write", cmd_vm_write},
	{"vm_read", cmd_vm_read},
	{"ptrace_poke", cmd_ptrace_poke},
	{"ptrace_peek", cmd_ptrace_peek},
	{NULL, NULL},
};
