/*
 * pinlab-agent: uprobes on scenario files.  `uprobe_add FID CELL` defines a uprobe at the cell's offset of
 * file FID (tracefs uprobe_events) and enables it: the kernel then writes a breakpoint instruction (0xcc on
 * x86) into an anonymous copy of that page in every private, non-writable mapping of the file, present and
 * future (uprobes' valid_vma(): VM_MAYEXEC without VM_WRITE or VM_MAYSHARE), never into the file or the page
 * cache.  `uprobe_remove FID CELL` disables and deletes it.
 *
 * tracefs: /sys/kernel/tracing if it is mounted there, else the agent mounts its own on DIR/tracing (removed
 * at cleanup).  The probes of this agent form the event group "pinlab_<hash of DIR>"; at cleanup every one
 * still defined is removed (before the file systems are unmounted: a uprobe holds its file's inode), and at
 * startup the ones a SIGKILLed agent on the same DIR left behind are.
 */
#include "agent.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYS_TRACEFS "/sys/kernel/tracing"

static char g_tracefs[PATH_MAX + 16]; /* "" until found or mounted */
static bool g_own_mount;
static char g_own_dir[PATH_MAX + 16];
static char g_group[32];

#define MAX_UPROBES 256
static struct {
	bool used;
	long fid, cell;
} g_up[MAX_UPROBES];

/* 0 or -errno */
static int tfs_write(const char *rel, const char *s)
{
	char path[PATH_MAX + 128];
	snprintf(path, sizeof path, "%s/%s", g_tracefs, rel);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write(fd, s, strlen(s)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static bool has_uprobe_events(const char *dir)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/uprobe_events", dir);
	return access(path, W_OK) == 0;
}

/* finds or mounts tracefs; false (err set) if it cannot */
static bool tracefs_ready(char *err, size_t esz)
{
	if (g_tracefs[0])
		return true;
	if (has_uprobe_events(SYS_TRACEFS)) {
		snprintf(g_tracefs, sizeof g_tracefs, "%s", SYS_TRACEFS);
		return true;
	}
	if (mkdir(g_own_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, esz, "mkdir %s: %s", g_own_dir, strerror(errno));
		return false;
	}
	if (mount("nodev", g_own_dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		snprintf(err, esz, "mount tracefs on %s: %s", g_own_dir, strerror(errno));
		rmdir(g_own_dir);
		return false;
	}
	g_own_mount = true;
	if (!has_uprobe_events(g_own_dir)) {
		snprintf(err, esz, "tracefs has no uprobe_events (CONFIG_UPROBE_EVENTS)");
		umount2(g_own_dir, MNT_DETACH);
		rmdir(g_own_dir);
		g_own_mount = false;
		return false;
	}
	snprintf(g_tracefs, sizeof g_tracefs, "%s", g_own_dir);
	return true;
}

/* removes every probe of this agent's group that uprobe_events lists */
static void remove_group(void)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/uprobe_events", g_tracefs);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[PATH_MAX + 128], names[64][96];
	int n = 0;
	size_t gl = strlen(g_group);
	while (fgets(line, sizeof line, f) && n < 64) {
		/* "p:GROUP/NAME /path:0x..." */
		if (line[0] && line[1] == ':' && !strncmp(line + 2, g_group, gl) && line[2 + gl] == '/') {
			char *sp = strchr(line, ' ');
			if (sp) {
				*sp = 0;
				snprintf(names[n++], sizeof names[0], "%.95s", line + 2);
			}
		}
	}
	fclose(f);
	for (int i = 0; i < n; i++) {
		char rel[160], cmd[128];
		snprintf(rel, sizeof rel, "events/%.95s/enable", names[i]);
		tfs_write(rel, "0");
		snprintf(cmd, sizeof cmd, "-:%.95s", names[i]);
		int r = tfs_write("uprobe_events", cmd);
		logmsg("uprobe: removed %s: %d", names[i], r);
	}
}

void uprobe_startup(void)
{
	unsigned h = 2166136261u;
	for (const char *p = g_dir; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(g_group, sizeof g_group, "pinlab_%08x", h);
	snprintf(g_own_dir, sizeof g_own_dir, "%s/tracing", g_dir);
	struct mntent_info m;
	if (mount_at(g_own_dir, &m)) {
		if (strcmp(m.fstype, "tracefs"))
			startup_fail("%s: a mount the agent did not make is there (type %s, source %s); it is left alone",
				     g_own_dir, m.fstype, m.source);
		/* a SIGKILLed agent's: use it */
		snprintf(g_tracefs, sizeof g_tracefs, "%s", g_own_dir);
		g_own_mount = true;
	} else {
		rmdir(g_own_dir); /* an empty leftover directory; anything else fails and stays */
		if (has_uprobe_events(SYS_TRACEFS))
			snprintf(g_tracefs, sizeof g_tracefs, "%s", SYS_TRACEFS);
	}
	if (g_tracefs[0])
		remove_group();
}

void uprobe_cleanup(void)
{
	if (g_tracefs[0])
		remove_group();
	if (g_own_mount) {
		if (umount2(g_own_dir, 0) < 0)
			umount2(g_own_dir, MNT_DETACH);
		rmdir(g_own_dir);
		g_own_mount = false;
	}
	g_tracefs[0] = 0;
}

bool uprobe_available(void)
{
	if (has_uprobe_events(SYS_TRACEFS) || (g_tracefs[0] && has_uprobe_events(g_tracefs)))
		return true;
	FILE *f = fopen("/proc/filesystems", "re");
	if (!f)
		return false;
	char line[128];
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, "\ttracefs") != NULL;
	fclose(f);
	return found;
}

static bool parse_up(char **tok, int nt, const char *usage, long *cell, const struct pfile **f)
{
	if (nt != 3 || !parse_cell(tok[2], cell)) {
		reply_err("bad command: %s", usage);
		return false;
	}
	*f = agent_file(tok[0], tok[1]);
	return *f != NULL;
}

static int slot_of(long fid, long cell)
{
	for (int i = 0; i < MAX_UPROBES; i++)
		if (g_up[i].used && g_up[i].fid == fid && g_up[i].cell == cell)
			return i;
	return -1;
}

/* uprobe_add FID CELL */
static bool cmd_uprobe_add(char **tok, int nt)
{
	long cell;
	const struct pfile *f;
	if (!parse_up(tok, nt, "uprobe_add FID CELL", &cell, &f))
		return true;
	long fid = strtol(tok[1], NULL, 10);
	char err[PATH_MAX + 64];
	if (!tracefs_ready(err, sizeof err)) {
		reply_err("uprobe_add: %s", err);
		return true;
	}
	if (slot_of(fid, cell) >= 0) {
		reply_err("uprobe_add: file %ld cell %ld already has a uprobe", fid, cell);
		return true;
	}
	int s = -1;
	for (int i = 0; i < MAX_UPROBES && s < 0; i++)
		if (!g_up[i].used)
			s = i;
	if (s < 0) {
		reply_err("uprobe_add: too many uprobes");
		return true;
	}
	char def[PATH_MAX + 256], rel[128], path[PATH_MAX + 96];
	/* a memfd has no path of its own: the agent's descriptor, resolved by the kernel in the agent */
	if (f->fs)
		snprintf(path, sizeof path, "%s", f->path);
	else
		snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), f->fd);
	snprintf(def, sizeof def, "p:%s/f%ld_c%ld %s:0x%zx", g_group, fid, cell, path, cell_off(cell));
	int r = tfs_write("uprobe_events", def);
	if (!r) {
		snprintf(rel, sizeof rel, "events/%s/f%ld_c%ld/enable", g_group, fid, cell);
		r = tfs_write(rel, "1");
		if (r) {
			char del[128];
			snprintf(del, sizeof del, "-:%s/f%ld_c%ld", g_group, fid, cell);
			tfs_write("uprobe_events", del);
		} else {
			g_up[s].used = true;
			g_up[s].fid = fid;
			g_up[s].cell = cell;
		}
	}
	logmsg("uprobe_add '%s': %d", def, r);
	char out[64];
	snprintf(out, sizeof out, "{\"ok\":true,\"ret\":%d}", r);
	reply(out);
	return true;
}

/* uprobe_remove FID CELL */
static bool cmd_uprobe_remove(char **tok, int nt)
{
	long cell;
	const struct pfile *f;
	if (!parse_up(tok, nt, "uprobe_remove FID CELL", &cell, &f))
		return true;
	long fid = strtol(tok[1], NULL, 10);
	int s = slot_of(fid, cell);
	if (s < 0) {
		reply_err("uprobe_remove: file %ld cell %ld has no uprobe", fid, cell);
		return true;
	}
	char rel[128], del[128];
	snprintf(rel, sizeof rel, "events/%s/f%ld_c%ld/enable", g_group, fid, cell);
	int r = tfs_write(rel, "0");
	snprintf(del, sizeof del, "-:%s/f%ld_c%ld", g_group, fid, cell);
	int r2 = tfs_write("uprobe_events", del);
	if (!r2)
		g_up[s].used = false;
	char out[64];
	snprintf(out, sizeof out, "{\"ok\":true,\"ret\":%d}", r ? r : r2);
	reply(out);
	return true;
}

const struct agent_cmd uprobe_agent_cmds[] = {
	{"uprobe_add", cmd_uprobe_add},
	{"uprobe_remove", cmd_uprobe_remove},
	{NULL, NULL},
};
