/*
 * pinlab-agent: kernel log events.  `kmsg_mark` opens /dev/kmsg positioned at its end; `kmsg_events` reads
 * (non-blocking) every record logged since, and returns those that matter to pinlab, each with a short kind.
 * Only the kernel's own records count (syslog facility 0, which a write to /dev/kmsg from user space cannot
 * have), unless `kmsg_mark user` asks for user-space records too (the self-test writes its own).
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define EVENT_TEXT 320

struct event {
	const char *kind;
	char text[EVENT_TEXT];
};

static int g_kmsg_fd = -1;
static struct event g_events[MAX_EVENTS];
static int g_nevents, g_dropped, g_lost;
static bool g_user_records;

/* the first pattern a message contains decides its kind */
static const struct {
	const char *pattern;
	const char *kind;
} g_patterns[] = {
	{"does not have buffers attached", "ext4_no_buffers"},
	{"Page cache invalidation failure on direct I/O", "dio_stale_pagecache"},
	{"csum failed", "btrfs_csum_failed"},
	{"WARNING:", "warning"},
	{"kernel BUG", "bug"},
	{"BUG:", "bug"},
	{"EXT4-fs error", "ext4_error"},
	{"BTRFS error", "btrfs_error"},
	{"BTRFS critical", "btrfs_error"},
	{"XFS: Internal error", "xfs_error"},
	{"Corruption", "corruption"},
	{"I/O error", "io_error"},
};

static const char *kind_of(const char *msg)
{
	for (size_t i = 0; i < sizeof g_patterns / sizeof g_patterns[0]; i++)
		if (strstr(msg, g_patterns[i].pattern))
			return g_patterns[i].kind;
	return NULL;
}

/* one /dev/kmsg record "PRIO,SEQ,USEC,FLAGS;MESSAGE\n[ KEY=VALUE\n]..."; PRIO is facility * 8 + level */
static void take_record(char *rec)
{
	char *msg = strchr(rec, ';');
	if (!msg)
		return;
	if (atoi(rec) >> 3 != 0 && !g_user_records)
		return;
	msg++;
	msg[strcspn(msg, "\n")] = 0;
	const char *kind = kind_of(msg);
	if (!kind)
		return;
	if (g_nevents == MAX_EVENTS) {
		g_dropped++;
		return;
	}
	g_events[g_nevents].kind = kind;
	snprintf(g_events[g_nevents].text, EVENT_TEXT, "%s", msg);
	g_nevents++;
}

/* reads every record available now */
static void drain(void)
{
	char rec[8192];
	for (;;) {
		ssize_t n = read(g_kmsg_fd, rec, sizeof rec - 1);
		if (n < 0 && errno == EPIPE) { /* records overwritten before we read them */
			g_lost++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		rec[n] = 0;
		take_record(rec);
	}
}

static bool cmd_kmsg_mark(char **tok, int nt)
{
	if (nt > 2 || (nt == 2 && strcmp(tok[1], "user")))
		return false;
	g_user_records = nt == 2;
	if (g_kmsg_fd < 0)
		g_kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (g_kmsg_fd < 0 || lseek(g_kmsg_fd, 0, SEEK_END) < 0) {
		reply_err("kmsg_mark: /dev/kmsg: %s", strerror(errno));
		return true;
	}
	g_nevents = g_dropped = g_lost = 0;
	reply("{\"ok\":true}");
	return true;
}

static bool cmd_kmsg_events(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	if (g_kmsg_fd < 0) {
		reply_err("kmsg_events: kmsg_mark first");
		return true;
	}
	drain();
	size_t cap = 128 + (size_t)g_nevents * (EVENT_TEXT * 6 + 64);
	char *out = malloc(cap);
	if (!out) {
		reply_err("kmsg_events: out of memory");
		return true;
	}
	size_t o = (size_t)snprintf(out, cap, "{\"ok\":true,\"events\":[");
	for (int i = 0; i < g_nevents; i++) {
		char esc[EVENT_TEXT * 6];
		jesc(esc, sizeof esc, g_events[i].text);
		o += (size_t)snprintf(out + o, cap - o, "%s{\"kind\":\"%s\",\"line\":\"%s\"}", i ? "," : "",
				      g_events[i].kind, esc);
	}
	snprintf(out + o, cap - o, "],\"dropped\":%d,\"lost\":%d}", g_dropped, g_lost);
	reply(out);
	free(out);
	return true;
}

/* in a new scenario process */
void kmsg_close_in_child(void)
{
	if (g_kmsg_fd >= 0)
		close(g_kmsg_fd);
}

const struct agent_cmd kmsg_agent_cmds[] = {
	{"kmsg_mark", cmd_kmsg_mark},
	{"kmsg_events", cmd_kmsg_events},
	{NULL, NULL},
};
