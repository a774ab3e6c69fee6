/*
 * pinlab-agent: declarations shared by the agent's source files (native/sources.txt lists them).
 *
 * The agent replays pinlab scenarios on the running Linux kernel; its line protocol on stdin/stdout is
 * docs/replay-protocol.md.  Each .c file holds one concern; this header is how they see each other.
 */
#ifndef PINLAB_AGENT_H
#define PINLAB_AGENT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTOCOL_VERSION 2
#define BASE_ADDR 0x7e0000000000UL
#define STRIDE 0x1000000UL
#define PAGE_SZ 4096UL
#define MAX_SLOTS 256
#define MAX_PAGES ((int)(STRIDE / PAGE_SZ))
#define MAX_CELL (2L * MAX_PAGES - 1)
#define MAX_CHAN 64
#define MAX_PIPES 64
#define MAX_RINGS 64
#define MAX_PROCS 4096
#define MAX_TOKENS 80
#define CMD_MAX 3800          /* a command line sent to a worker stays < PIPE_BUF */
#define DATA_FILE_SIZE (1UL << 20)
#define DATA_PIPE_SIZE (1 << 20)
#define MAX_JSON_DATA 4096    /* bytes of a WRITE request shown in fuse_wait */
#define MAX_FS 8
#define MAX_FILES 64

/* ---- command tables ----------------------------------------------------------------------------------- */

/* An agent command replies itself (reply/reply_err); returning false means "malformed": the dispatcher
 * replies {"ok":false,"error":"bad command: LINE"}. */
struct agent_cmd {
	const char *name;
	bool (*run)(char **tok, int nt);
};

/* A worker command writes its JSON reply into out; returning false means "malformed" as above. */
struct worker_cmd {
	const char *name;
	bool (*run)(char **av, int ac, char *out, size_t osz);
};

extern const struct agent_cmd channel_agent_cmds[], proc_agent_cmds[], pipe_agent_cmds[], fuse_agent_cmds[],
	pagemap_agent_cmds[], fs_agent_cmds[], file_agent_cmds[], disk_agent_cmds[], cache_agent_cmds[],
	kmsg_agent_cmds[], ownio_agent_cmds[], ksm_agent_cmds[], migrate_agent_cmds[], remote_agent_cmds[],
	uprobe_agent_cmds[];
extern const struct worker_cmd worker_ctl_cmds[], mem_worker_cmds[], pipe_worker_cmds[], uring_worker_cmds[],
	dio_worker_cmds[], fileio_worker_cmds[];

/* ---- util.c: time, logging, fds, /proc ------------------------------------------------------------------ */

long long now_ms(void);
void write_all(int fd, const char *buf, size_t len);
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int poll_one(int fd, short ev, int timeout_ms);
int worker_timeout_ms(void);
bool read_proc_file(pid_t pid, const char *name, char *buf, size_t size);
bool mounted_at(const char *path);

struct mntent_info {
	int id;
	unsigned major, minor;
	char point[PATH_MAX];
	char fstype[64];
	char source[PATH_MAX];
};

bool mountinfo_each(bool (*fn)(const struct mntent_info *m, void *arg), void *arg);
bool mount_at(const char *path, struct mntent_info *out);
bool path_within(const char *path, const char *dir);

/* ---- protocol.c: tokens, numbers, JSON replies --------------------------------------------------------- */

void jesc(char *dst, size_t dsz, const char *s);
void json_err(char *out, size_t osz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool parse_long(const char *s, long min, long max, long *out);
long bad_byte(const char *line, size_t len);
int tokenize(char *line, char **tok, int max);
void join_tokens(char *dst, size_t dsz, char **tok, int n);
void reply(const char *json);
void reply_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- lifecycle.c: startup, signals, cleanup ------------------------------------------------------------ */

extern char g_dir[PATH_MAX];
extern char g_log_path[PATH_MAX + 16];
extern int g_timeout_ms;
extern int g_log_fd;
extern pid_t g_agent_pid;
extern int g_cpu;
extern cpu_set_t g_allowed_cpus;
extern int g_sigfd;
extern bool g_shutdown_reply;
extern bool g_cleanup_only;
extern int g_pid_fd;

void startup(int argc, char **argv);
void startup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
int agent_poll(struct pollfd *pf, int n, long long deadline);
void check_signal(void);
void cleanup_and_exit(int code) __attribute__((noreturn));

/* ---- procs.c: scenario processes ----------------------------------------------------------------------- */

struct proc {
	pid_t pid;
	int pidfd;
	bool reaped;
	int status;
};

extern struct proc g_procs[MAX_PROCS];

struct proc *proc_add(pid_t pid);
bool proc_dead(struct proc *pr);
int proc_status(struct proc *pr);
int status_signal(int st);
void reap_sweep(void);
bool have_children(void);
void procs_kill_all(void);
bool procs_started(void);

/* ---- channels.c: channel pipes and the commands sent over them ----------------------------------------- */

extern bool g_inited;
extern int g_nchan;
extern int g_cmd_r[MAX_CHAN], g_rep_w[MAX_CHAN];
extern int g_gate_r;

bool chan_free(int c);
void chan_clear(int c);
void chan_give(int c, struct proc *pr);

/* ---- worker.c: worker threads in scenario processes ----------------------------------------------------- */

void start_workers(const int *chans, int n);

/* ---- mem.c: the address space ---------------------------------------------------------------------------- */

uint8_t *slot_addr(long slot);
uint8_t *cell_addr(long slot, long cell);
size_t cell_off(long cell);
bool parse_slot(const char *s, long *slot);
bool parse_cell(const char *s, long *cell);
bool parse_pages(const char *s, long *pages);

/* ---- pipes.c: data pipes --------------------------------------------------------------------------------- */

extern int g_npipes;
extern int g_data_r[MAX_PIPES], g_data_w[MAX_PIPES];

bool pipes_make(int n);

/* ---- uring.c: io_uring rings of a scenario process ------------------------------------------------------ */

void uring_forked_child(void);

/* ---- fuse.c: the FUSE daemon ----------------------------------------------------------------------------- */

extern char g_data_path[PATH_MAX + 16];

void fuse_set_paths(void);
void fuse_check_dir(void);
void fuse_prepare_dir(void);
void fuse_start(void);
bool fuse_active(void);
void fuse_remove_dir(void);
void fuse_fail_pending(void);
void fuse_abort_connection(void);
void fuse_unhold(void);
void fuse_stop(void);
void fuse_close_in_child(void);

/* ---- fs.c: file systems (loop devices, tmpfs) ---------------------------------------------------------- */

enum fs_kind { FS_EXT4, FS_XFS, FS_BTRFS, FS_TMPFS };

struct fsys {
	bool used;
	char name[33];
	enum fs_kind kind;
	bool mounted;
	int loop;     /* /dev/loopN, -1 for tmpfs */
	int loop_fd;  /* held only while the file system is being made */
	int img_fd;   /* the backing image, read by disk_read; -1 for tmpfs */
	char mnt[PATH_MAX + 48];
	char img[PATH_MAX + 48];
};

struct fsys *fs_find(const char *name);
const char *fs_kind_name(enum fs_kind k);
void fs_check_dir(void);
void fs_prepare_dir(void);
void fs_cleanup(void);
void fs_close_in_child(void);

/* ---- files.c: scenario files ---------------------------------------------------------------------------- */

struct pfile {
	bool used;
	bool ro;
	int fd;               /* O_RDWR, or O_RDONLY for ro: the scenario processes' descriptor */
	int dio_fd;           /* O_DIRECT, or -1 */
	int dio_err;          /* -errno of the O_DIRECT open, 0 if it worked */
	int own_fd;           /* O_RDONLY, the agent's own (ownio.c: writeback, file_read) */
	int err_fd;           /* O_RDONLY, only for file_errors: its error cursor is never advanced before */
	struct fsys *fs;      /* NULL for a memfd */
	char path[PATH_MAX + 96];
};

bool parse_fid(const char *s, long *fid);
const struct pfile *file_get(long fid);
const struct pfile *agent_file(const char *cmd, const char *tok);
void files_close_all(void);

/* ---- fileio.c ----------------------------------------------------------------------------------------- */

bool parse_sfr_flags(const char *s, unsigned *flags);

/* ---- cache.c ------------------------------------------------------------------------------------------ */

int range_dirty_or_writeback(const struct pfile *f, uint64_t off, uint64_t len);

/* ---- kmsg.c ------------------------------------------------------------------------------------------- */

void kmsg_close_in_child(void);

/* ---- ksm.c -------------------------------------------------------------------------------------------- */

void ksm_startup(void);
void ksm_restore(void);
bool ksm_available(void);

/* ---- migrate.c ---------------------------------------------------------------------------------------- */

int migrate_node_count(void);
void migrate_restore(void);

/* ---- uprobe.c ----------------------------------------------------------------------------------------- */

void uprobe_startup(void);
void uprobe_cleanup(void);
bool uprobe_available(void);

#endif
