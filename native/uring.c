/*
 * pinlab-agent: io_uring in scenario processes: a per-process table of rings, fixed-buffer registration
 * (FOLL_PIN | FOLL_LONGTERM), and 1-byte READ_FIXED / WRITE_FIXED against a data pipe.
 */
#include "agent.h"

#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* the rings of this scenario process (a forked child inherits the table: the same rings) */
static struct io_uring g_rings[MAX_RINGS];
static bool g_ring_on[MAX_RINGS];
static uint64_t g_ring_ud[MAX_RINGS];

/* a forked child starts its user_data numbers far from its parent's */
void uring_forked_child(void)
{
	for (int i = 0; i < MAX_RINGS; i++)
		g_ring_ud[i] += 1000000;
}

static bool parse_ring(const char *s, long *r)
{
	return parse_long(s, 0, MAX_RINGS - 1, r);
}

static int ring_wait(int r, uint64_t ud, int *res)
{
	long long deadline = now_ms() + worker_timeout_ms();
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIME;
		struct __kernel_timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
		struct io_uring_cqe *cqe = NULL;
		int e = io_uring_wait_cqe_timeout(&g_rings[r], &cqe, &ts);
		if (e == -EINTR)
			continue;
		if (e < 0)
			return e;
		uint64_t got = cqe->user_data;
		int v = cqe->res;
		io_uring_cqe_seen(&g_rings[r], cqe);
		if (got == ud) {
			*res = v;
			return 0;
		}
		/* a late completion of an operation we gave up on: drop it */
	}
}

/* the byte WRITE_FIXED just put into pipe p, read back; -1 if none comes */
static int read_back(long p)
{
	uint8_t b;
	if (poll_one(g_data_r[p], POLLIN, worker_timeout_ms()) == 1 && read(g_data_r[p], &b, 1) == 1)
		return b;
	return -1;
}

static bool w_rw_fixed(char **av, int ac, char *out, size_t osz)
{
	bool write = !strcmp(av[0], "write_fixed");
	long r, p, slot, cell;
	if (ac != 5 || !parse_ring(av[1], &r) || !parse_long(av[2], 0, g_npipes - 1, &p) ||
	    !parse_slot(av[3], &slot) || !parse_cell(av[4], &cell)) {
		json_err(out, osz, "bad command: %s RING PIPE SLOT CELL", av[0]);
		return true;
	}
	if (!g_ring_on[r]) {
		json_err(out, osz, "%s: ring %ld is not set up", av[0], r);
		return true;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&g_rings[r]);
	if (!sqe) {
		json_err(out, osz, "%s: submission queue full", av[0]);
		return true;
	}
	uint8_t *a = cell_addr(slot, cell);
	if (write)
		io_uring_prep_write_fixed(sqe, g_data_w[p], a, 1, (__u64)-1, 0);
	else
		io_uring_prep_read_fixed(sqe, g_data_r[p], a, 1, (__u64)-1, 0);
	uint64_t ud = ++g_ring_ud[r];
	io_uring_sqe_set_data64(sqe, ud);
	int s = io_uring_submit(&g_rings[r]);
	if (s < 0) {
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", s);
		return true;
	}
	int res = 0;
	int e = ring_wait((int)r, ud, &res);
	if (e == -ETIME)
		json_err(out, osz, "timeout: %s: no io_uring completion", av[0]);
	else if (e < 0)
		json_err(out, osz, "%s: io_uring_wait_cqe: %s", av[0], strerror(-e));
	else if (!write)
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", res);
	else
		snprintf(out, osz, "{\"ok\":true,\"ret\":%d,\"value\":%d}", res, res == 1 ? read_back(p) : -1);
	return true;
}

static bool w_uring_setup(char **av, int ac, char *out, size_t osz)
{
	long r;
	if (ac != 2 || !parse_ring(av[1], &r))
		return false;
	if (g_ring_on[r]) {
		json_err(out, osz, "uring_setup: ring %ld is already set up", r);
		return true;
	}
	int ret = io_uring_queue_init(8, &g_rings[r], 0);
	if (ret == 0)
		g_ring_on[r] = true;
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

static bool w_uring_register(char **av, int ac, char *out, size_t osz)
{
	long r, slot, pages;
	if (ac != 4 || !parse_ring(av[1], &r) || !parse_slot(av[2], &slot) || !parse_pages(av[3], &pages))
		return false;
	if (!g_ring_on[r]) {
		json_err(out, osz, "uring_register: ring %ld is not set up", r);
		return true;
	}
	struct iovec iov = {.iov_base = slot_addr(slot), .iov_len = (size_t)pages * PAGE_SZ};
	int ret = io_uring_register_buffers(&g_rings[r], &iov, 1);
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

static bool w_uring_unregister(char **av, int ac, char *out, size_t osz)
{
	long r;
	if (ac != 2 || !parse_ring(av[1], &r))
		return false;
	if (!g_ring_on[r]) {
		json_err(out, osz, "uring_unregister: ring %ld is not set up", r);
		return true;
	}
	int ret = io_uring_unregister_buffers(&g_rings[r]);
	snprintf(out, osz, "{\"ok\":true,\"ret\":%d}", ret);
	return true;
}

const struct worker_cmd uring_worker_cmds[] = {
	{"uring_setup", w_uring_setup},
	{"uring_register", w_uring_register},
	{"uring_unregister", w_uring_unregister},
	{"read_fixed", w_rw_fixed},
	{"write_fixed", w_rw_fixed},
	{NULL, NULL},
};
