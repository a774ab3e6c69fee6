/*
 * pinlab-agent: the FUSE daemon, a thread of the agent running a libfuse low-level session mounted at
 * DIR/mnt with one regular file "data" (FOPEN_DIRECT_IO).  READ and WRITE requests are not answered by that
 * thread: they are queued, and the main thread answers them on `fuse_reply`.  The receive loop can be held
 * (`fuse_hold` / `fuse_queued` / `fuse_release`).  Mounting, stale-mount removal and unmounting are here too.
 */
#define FUSE_USE_VERSION 35
#include "agent.h"

#include <fuse_lowlevel.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char g_data_path[PATH_MAX + 16];
static char g_mnt[PATH_MAX + 8];
static int g_notify_r = -1, g_notify_w = -1;
static struct fuse_session *g_se;
static pthread_t g_fuse_thread;
static bool g_fuse_thread_started, g_mounted, g_made_mnt;
static unsigned long g_conn;  /* the connection's device number (the fusectl directory name), 0 if unknown */

#define SYS_FUSECTL "/sys/fs/fuse/connections"
#define FUSE_FSNAME "pinlab"
#define FUSE_FSTYPE "fuse.pinlab"

enum { FOP_READ, FOP_WRITE };

struct freq {
	int id;
	fuse_req_t req;
	int op;
	uint64_t off;
	size_t size;
	uint8_t *data;
	size_t dlen;
	pid_t pid;
	bool reported;
	struct freq *next;
};

static pthread_mutex_t g_fmu = PTHREAD_MUTEX_INITIALIZER;
static struct freq *g_fq; /* oldest first */
static int g_fnext = 1;

static void fuse_log_to_file(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char buf[768];
	(void)level;
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return;
	size_t len = strnlen(buf, sizeof buf);
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = 0;
	logmsg("libfuse: %s", buf);
}

/* ---- the file system: a root directory holding "data" ---------------------------------------------- */

static void fs_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
		st->st_size = (off_t)DATA_FILE_SIZE;
		st->st_blocks = (blkcnt_t)(DATA_FILE_SIZE / 512);
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent == FUSE_ROOT_ID && !strcmp(name, "data")) {
		struct fuse_entry_param e;
		memset(&e, 0, sizeof e);
		e.ino = 2;
		e.generation = 1;
		e.attr_timeout = 3600;
		e.entry_timeout = 3600;
		fs_stat(2, &e.attr);
		fuse_reply_entry(req, &e);
	} else {
		fuse_reply_err(req, ENOENT);
	}
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != 2) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	fs_stat(ino, &st);
	fuse_reply_attr(req, &st, 3600);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	op_getattr(req, ino, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != 2) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
		return;
	}
	fi->direct_io = 1; /* FOPEN_DIRECT_IO: every read/write goes to the daemon */
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void fq_add(fuse_req_t req, int op, uint64_t off, size_t size, const char *buf)
{
	struct freq *q = calloc(1, sizeof *q);
	if (!q) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	q->req = req;
	q->op = op;
	q->off = off;
	q->size = size;
	q->pid = fuse_req_ctx(req)->pid;
	if (buf && size) {
		q->dlen = size < MAX_JSON_DATA ? size : MAX_JSON_DATA;
		q->data = malloc(q->dlen);
		if (q->data)
			memcpy(q->data, buf, q->dlen);
		else
			q->dlen = 0;
	}
	pthread_mutex_lock(&g_fmu);
	q->id = g_fnext++;
	struct freq **pp = &g_fq;
	while (*pp)
		pp = &(*pp)->next;
	*pp = q;
	pthread_mutex_unlock(&g_fmu);
	logmsg("fuse: queued %s id=%d off=%llu size=%zu tid=%d", op == FOP_READ ? "READ" : "WRITE", q->id,
	       (unsigned long long)off, size, (int)q->pid);
	char x = 1;
	if (write(g_notify_w, &x, 1) < 0) {
		/* the pipe is non-blocking; a full pipe already means "wake up" */
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fq_add(req, FOP_READ, (uint64_t)off, size, NULL);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fq_add(req, FOP_WRITE, (uint64_t)off, size, buf);
}

static void op_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	op_ok(req, ino, fi);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	static const struct {
		const char *name;
		fuse_ino_t ino;
		mode_t mode;
	} ents[] = {{".", FUSE_ROOT_ID, S_IFDIR}, {"..", FUSE_ROOT_ID, S_IFDIR}, {"data", 2, S_IFREG}};
	char buf[1024];
	size_t cap = size < sizeof buf ? size : sizeof buf, pos = 0;
	for (off_t i = off; i >= 0 && i < 3; i++) {
		struct stat st;
		memset(&st, 0, sizeof st);
		st.st_ino = ents[i].ino;
		st.st_mode = ents[i].mode;
		size_t e = fuse_add_direntry(req, buf + pos, cap - pos, ents[i].name, &st, i + 1);
		if (e > cap - pos)
			break;
		pos += e;
	}
	fuse_reply_buf(req, buf, pos);
}

static const struct fuse_lowlevel_ops g_fops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_ok,
	.release = op_ok,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_ok,
};

/* ---- the daemon thread ------------------------------------------------------------------------------ */

static void sigusr1_handler(int sig)
{
	(void)sig;
}

/*
 * The daemon's receive loop can be held. While held it does not read /dev/fuse, so a request the kernel has
 * queued (its user pages already pinned) stays unread: for an O_DIRECT write, reading the request is when the
 * kernel copies the data out of the pinned pages, i.e. when "the device reads". fuse_hold parks the loop,
 * fuse_queued waits until a request is queued, fuse_release lets the loop receive it.
 */
static pthread_mutex_t g_hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_hold_cv = PTHREAD_COND_INITIALIZER;
static bool g_hold, g_parked;

/* parks the loop while it is held (until the session exits) */
static void park_while_held(void)
{
	pthread_mutex_lock(&g_hold_mu);
	while (g_hold && !fuse_session_exited(g_se)) {
		g_parked = true;
		pthread_cond_broadcast(&g_hold_cv);
		pthread_cond_wait(&g_hold_cv, &g_hold_mu);
	}
	g_parked = false;
	pthread_mutex_unlock(&g_hold_mu);
}

static bool held(void)
{
	pthread_mutex_lock(&g_hold_mu);
	bool h = g_hold;
	pthread_mutex_unlock(&g_hold_mu);
	return h;
}

/* at cleanup, before any process is killed: lets a held receive loop go, so that the requests queued
 * meanwhile (a killed task's FLUSH, which it waits for uninterruptibly) are received and answered */
void fuse_unhold(void)
{
	pthread_mutex_lock(&g_hold_mu);
	if (g_hold)
		logmsg("cleanup: releasing the held FUSE loop");
	g_hold = false;
	pthread_cond_broadcast(&g_hold_cv);
	pthread_mutex_unlock(&g_hold_mu);
}

static void *fuse_thread_main(void *arg)
{
	(void)arg;
	sigset_t s;
	sigfillset(&s);
	sigdelset(&s, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &s, NULL);
	struct fuse_buf fbuf = {.mem = NULL};
	int r = 0;
	while (!fuse_session_exited(g_se)) {
		park_while_held();
		struct pollfd pf = {.fd = fuse_session_fd(g_se), .events = POLLIN};
		int pr = poll(&pf, 1, 50);
		if (pr <= 0 || held())
			continue;
		r = fuse_session_receive_buf(g_se, &fbuf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			break;
		fuse_session_process_buf(g_se, &fbuf);
	}
	free(fbuf.mem);
	logmsg("fuse: session loop ended (%d)", r);
	return NULL;
}

/* ---- mounting and unmounting ------------------------------------------------------------------------ */

void fuse_set_paths(void)
{
	snprintf(g_mnt, sizeof g_mnt, "%s/mnt", g_dir);
	snprintf(g_data_path, sizeof g_data_path, "%s/data", g_mnt);
}

/* the kernel's dev_t of major:minor as fusectl names its connection directories (fc->dev, "%u") */
static unsigned long kdev(unsigned major, unsigned minor)
{
	return ((unsigned long)major << 20) | minor;
}

/* a mount the agent made: its FUSE file system (type fuse.pinlab, source pinlab) */
static bool own_fuse_mount(const struct mntent_info *m)
{
	return !strcmp(m->fstype, FUSE_FSTYPE) && !strcmp(m->source, FUSE_FSNAME);
}

/*
 * Aborts FUSE connection dev through fusectl: every request, queued or read, fails with ENOTCONN and every
 * later one too, so no task waits for the daemon any more.  Nothing here goes through the FUSE mount (a stat
 * of it would be a request to the daemon, which may be the one that is parked or gone).  fusectl is used where
 * it is mounted (/sys/fs/fuse/connections), else it is mounted on DIR/fusectl for the moment.  true if the
 * abort file was written.
 */
static bool fusectl_abort(unsigned long dev)
{
	char base[PATH_MAX + 16], path[PATH_MAX + 64];
	struct mntent_info m;
	bool own = false;
	if (mount_at(SYS_FUSECTL, &m) && !strcmp(m.fstype, "fusectl")) {
		snprintf(base, sizeof base, "%s", SYS_FUSECTL);
	} else {
		snprintf(base, sizeof base, "%s/fusectl", g_dir);
		if (mkdir(base, 0700) < 0 && errno != EEXIST) {
			logmsg("fusectl: mkdir %s: %s", base, strerror(errno));
			return false;
		}
		if (mount("fusectl", base, "fusectl", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			logmsg("fusectl: mount on %s: %s", base, strerror(errno));
			rmdir(base);
			return false;
		}
		own = true;
	}
	snprintf(path, sizeof path, "%s/%lu/abort", base, dev);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, "1", 1) == 1;
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (own) {
		if (umount2(base, 0) < 0)
			umount2(base, MNT_DETACH);
		rmdir(base);
	}
	if (ok)
		logmsg("aborted the FUSE connection %lu via %s", dev, path);
	else
		logmsg("fusectl: %s: %s", path, strerror(e));
	return ok;
}

struct check_arg {
	const char *dir;
	const struct mntent_info *foreign;
	struct mntent_info m;
};

static bool check_mnt_cb(const struct mntent_info *m, void *arg)
{
	struct check_arg *a = arg;
	if (!path_within(m->point, a->dir))
		return true;
	if (!strcmp(m->point, a->dir) && own_fuse_mount(m))
		return true;
	a->m = *m;
	a->foreign = &a->m;
	return false;
}

/* at startup, before anything is changed: every mount on or below DIR/mnt must be an agent's FUSE mount */
void fuse_check_dir(void)
{
	struct check_arg a = {g_mnt, NULL, {0}};
	mountinfo_each(check_mnt_cb, &a);
	if (a.foreign)
		startup_fail("%s: a mount the agent did not make is there (type %s, source %s); it is left alone",
			     a.m.point, a.m.fstype, a.m.source);
	char fc[PATH_MAX + 16];
	snprintf(fc, sizeof fc, "%s/fusectl", g_dir);
	struct check_arg b = {fc, NULL, {0}};
	mountinfo_each(check_mnt_cb, &b);
	if (b.foreign && !(strcmp(b.m.point, fc) == 0 && !strcmp(b.m.fstype, "fusectl")))
		startup_fail("%s: a mount the agent did not make is there (type %s, source %s); it is left alone",
			     b.m.point, b.m.fstype, b.m.source);
}

/*
 * detaches the stale FUSE mount(s) a SIGKILLed agent left on DIR/mnt (its connection aborted through fusectl
 * first, so nothing can wait for a daemon that is gone), and a fusectl mount it left on DIR/fusectl; DIR/mnt
 * must then be absent or an empty directory.  fuse_check_dir() has made sure that they are the agent's.
 */
void fuse_prepare_dir(void)
{
	char fc[PATH_MAX + 16];
	snprintf(fc, sizeof fc, "%s/fusectl", g_dir);
	for (int i = 0; i < 16 && mounted_at(fc); i++)
		if (umount2(fc, MNT_DETACH) < 0)
			startup_fail("cannot detach the stale fusectl mount at %s: %s", fc, strerror(errno));
	struct stat st;
	if (lstat(fc, &st) == 0 && (!S_ISDIR(st.st_mode) || rmdir(fc) < 0))
		startup_fail("%s exists and is not an empty directory", fc);
	struct mntent_info m;
	for (int i = 0; i < 16 && mount_at(g_mnt, &m); i++) {
		if (!own_fuse_mount(&m))
			startup_fail("%s: a mount the agent did not make is there (type %s, source %s); it is left alone",
				     g_mnt, m.fstype, m.source);
		fusectl_abort(kdev(m.major, m.minor));
		if (umount2(g_mnt, MNT_DETACH) < 0)
			startup_fail("cannot detach the stale mount at %s: %s", g_mnt, strerror(errno));
		fprintf(stderr, "pinlab-agent: detached a stale FUSE mount at %s (connection %lu)\n", g_mnt,
			kdev(m.major, m.minor));
		if (g_log_fd >= 0)
			logmsg("detached a stale FUSE mount at %s (connection %lu)", g_mnt, kdev(m.major, m.minor));
	}
	if (mounted_at(g_mnt))
		startup_fail("%s is still mounted", g_mnt);
	if (lstat(g_mnt, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || rmdir(g_mnt) < 0)
			startup_fail("%s exists and is not an empty directory", g_mnt);
	}
}

/* makes DIR/mnt, mounts the FUSE file system on it and starts the daemon thread */
void fuse_start(void)
{
	if (mkdir(g_mnt, 0755) < 0)
		startup_fail("mkdir %s: %s", g_mnt, strerror(errno));
	g_made_mnt = true;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sigusr1_handler; /* no SA_RESTART: interrupts the FUSE thread's read */
	sigaction(SIGUSR1, &sa, NULL);
	int np[2];
	if (pipe2(np, O_NONBLOCK | O_CLOEXEC) < 0)
		startup_fail("pipe: %s", strerror(errno));
	g_notify_r = np[0];
	g_notify_w = np[1];
	fuse_set_log_func(fuse_log_to_file);
	char *fargv[] = {"pinlab-agent", "-o", "fsname=" FUSE_FSNAME ",subtype=pinlab", NULL};
	struct fuse_args fargs = FUSE_ARGS_INIT(3, fargv);
	g_se = fuse_session_new(&fargs, &g_fops, sizeof g_fops, NULL);
	if (!g_se)
		startup_fail("fuse_session_new failed (see %s)", g_log_path);
	if (fuse_session_mount(g_se, g_mnt) != 0)
		startup_fail("fuse_session_mount %s failed (is /dev/fuse there? root?) (see %s)", g_mnt, g_log_path);
	g_mounted = true;
	/* the connection number, for fusectl: from mountinfo, since a stat of the mount would ask the daemon */
	struct mntent_info m;
	if (mount_at(g_mnt, &m) && own_fuse_mount(&m))
		g_conn = kdev(m.major, m.minor);
	else
		logmsg("FUSE: no %s mount at %s in mountinfo: the connection cannot be aborted", FUSE_FSTYPE, g_mnt);
	int e = pthread_create(&g_fuse_thread, NULL, fuse_thread_main, NULL);
	if (e)
		startup_fail("pthread_create: %s", strerror(e));
	g_fuse_thread_started = true;
	logmsg("FUSE mounted at %s (connection %lu)", g_mnt, g_conn);
}

/* mounted or running: needs fuse_stop */
bool fuse_active(void)
{
	return g_mounted || g_fuse_thread_started;
}

/* removes DIR/mnt if this agent made it and nothing was mounted on it yet (a startup failure) */
void fuse_remove_dir(void)
{
	if (g_made_mnt)
		rmdir(g_mnt);
}

/* fails every queued request with EIO (a killed task waits uninterruptibly for the answer to a request the
 * daemon already read) */
void fuse_fail_pending(void)
{
	for (;;) {
		pthread_mutex_lock(&g_fmu);
		struct freq *q = g_fq;
		if (q)
			g_fq = q->next;
		pthread_mutex_unlock(&g_fmu);
		if (!q)
			return;
		fuse_reply_err(q->req, EIO);
		free(q->data);
		free(q);
	}
}

/* aborts the connection (fusectl's /sys/fs/fuse/connections/N/abort): every request fails, unread ones
 * included; N was learnt at mount time, so nothing here asks the daemon */
void fuse_abort_connection(void)
{
	if (!g_mounted)
		return;
	if (!g_conn) {
		logmsg("cleanup: FUSE connection number unknown, cannot abort it");
		return;
	}
	fusectl_abort(g_conn);
}

/* stops the daemon thread (the session is told to exit; the loop sees that within its 50 ms poll); true if
 * it was joined */
static bool join_fuse_thread(void)
{
	fuse_session_exit(g_se);
	fuse_unhold();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	if (pthread_timedjoin_np(g_fuse_thread, NULL, &ts) != 0) {
		pthread_kill(g_fuse_thread, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (pthread_timedjoin_np(g_fuse_thread, NULL, &ts) != 0) {
			logmsg("cleanup: FUSE thread did not stop");
			return false;
		}
	}
	g_fuse_thread_started = false;
	return true;
}

/* stops the daemon thread, fails what is still queued, unmounts (libfuse closes /dev/fuse, which ends the
 * connection, and detaches the mount), removes DIR/mnt.  Nothing here goes through the mount. */
void fuse_stop(void)
{
	bool joined = !g_fuse_thread_started || join_fuse_thread();
	if (g_se && joined)
		fuse_fail_pending();
	if (g_se && g_mounted) {
		fuse_session_unmount(g_se);
		g_mounted = false;
	}
	if (g_se && joined) {
		fuse_session_destroy(g_se);
		g_se = NULL;
	}
	if (mounted_at(g_mnt)) {
		logmsg("cleanup: %s still mounted, detaching", g_mnt);
		umount2(g_mnt, MNT_DETACH);
	}
	if (g_made_mnt && rmdir(g_mnt) < 0 && errno != ENOENT)
		logmsg("cleanup: rmdir %s: %s", g_mnt, strerror(errno));
}

/* in a new scenario process: closes the agent's FUSE descriptors */
void fuse_close_in_child(void)
{
	if (g_se)
		close(fuse_session_fd(g_se));
	close(g_notify_r);
	close(g_notify_w);
}

/* ---- agent commands --------------------------------------------------------------------------------- */

static pid_t tgid_of(pid_t tid)
{
	char buf[1024];
	if (!read_proc_file(tid, "status", buf, sizeof buf))
		return tid;
	char *p = strstr(buf, "\nTgid:");
	return p ? (pid_t)atoi(p + 6) : tid;
}

static void fuse_hold(bool hold)
{
	long long deadline = now_ms() + g_timeout_ms;
	pthread_mutex_lock(&g_hold_mu);
	g_hold = hold;
	pthread_cond_broadcast(&g_hold_cv);
	while (hold && !g_parked && now_ms() < deadline) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g_hold_cv, &g_hold_mu, &ts);
	}
	bool ok = !hold || g_parked;
	pthread_mutex_unlock(&g_hold_mu);
	if (ok)
		reply("{\"ok\":true}");
	else
		reply_err("timeout: the FUSE loop did not park within %d ms", g_timeout_ms);
}

static bool cmd_fuse_hold(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	fuse_hold(true);
	return true;
}

static bool cmd_fuse_release(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	fuse_hold(false);
	return true;
}

static bool cmd_fuse_queued(char **tok, int nt)
{
	(void)tok;
	if (nt != 1)
		return false;
	long long deadline = now_ms() + g_timeout_ms;
	for (;;) {
		struct pollfd pf = {.fd = fuse_session_fd(g_se), .events = POLLIN};
		int pr = poll(&pf, 1, 20);
		if (pr > 0 && (pf.revents & POLLIN)) {
			reply("{\"ok\":true}");
			return true;
		}
		if (now_ms() >= deadline) {
			reply_err("timeout: no FUSE request queued within %d ms", g_timeout_ms);
			return true;
		}
	}
}

/* the oldest request not yet reported, copied (data included) into snap and marked reported */
static bool take_unreported(struct freq *snap, uint8_t *data)
{
	bool found = false;
	pthread_mutex_lock(&g_fmu);
	for (struct freq *q = g_fq; q; q = q->next) {
		if (!q->reported) {
			q->reported = true;
			*snap = *q;
			if (q->dlen)
				memcpy(data, q->data, q->dlen);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&g_fmu);
	return found;
}

static void reply_request(const struct freq *snap, const uint8_t *data)
{
	static char out[MAX_JSON_DATA * 4 + 256];
	int o = snprintf(out, sizeof out, "{\"ok\":true,\"id\":%d,\"op\":\"%s\",\"offset\":%llu,\"size\":%zu,\"pid\":%d",
			 snap->id, snap->op == FOP_READ ? "read" : "write", (unsigned long long)snap->off, snap->size,
			 (int)tgid_of(snap->pid));
	if (snap->op == FOP_WRITE) {
		o += snprintf(out + o, sizeof out - (size_t)o, ",\"data\":[");
		for (size_t i = 0; i < snap->dlen; i++)
			o += snprintf(out + o, sizeof out - (size_t)o, "%s%d", i ? "," : "", data[i]);
		o += snprintf(out + o, sizeof out - (size_t)o, "]");
	}
	snprintf(out + o, sizeof out - (size_t)o, "}");
	reply(out);
}

static bool cmd_fuse_wait(char **tok, int nt)
{
	(void)tok;
	if (nt != 1) {
		reply_err("bad command: fuse_wait takes no arguments");
		return true;
	}
	long long deadline = now_ms() + g_timeout_ms;
	for (;;) {
		char tmp[256];
		while (read(g_notify_r, tmp, sizeof tmp) > 0) {
		}
		struct freq snap;
		uint8_t data[MAX_JSON_DATA];
		if (take_unreported(&snap, data)) {
			reply_request(&snap, data);
			return true;
		}
		if (now_ms() >= deadline) {
			reply_err("timeout: no unanswered FUSE READ or WRITE request within %d ms", g_timeout_ms);
			return true;
		}
		struct pollfd pf = {.fd = g_notify_r, .events = POLLIN};
		agent_poll(&pf, 1, deadline);
	}
}

/* removes request k from the queue; NULL if there is none */
static struct freq *unqueue(long k)
{
	pthread_mutex_lock(&g_fmu);
	struct freq **pp = &g_fq, *q = NULL;
	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == k) {
			q = *pp;
			*pp = q->next;
			break;
		}
	}
	pthread_mutex_unlock(&g_fmu);
	return q;
}

static bool cmd_fuse_reply(char **tok, int nt)
{
	long k, v;
	if (nt != 3 || !parse_long(tok[1], 1, INT_MAX, &k) || !parse_long(tok[2], 0, 255, &v)) {
		reply_err("bad command: fuse_reply ID VALUE");
		return true;
	}
	struct freq *q = unqueue(k);
	if (!q) {
		reply_err("fuse_reply: no unanswered request %ld", k);
		return true;
	}
	int r;
	if (q->op == FOP_READ) {
		uint8_t *buf = malloc(q->size ? q->size : 1);
		if (!buf) {
			r = fuse_reply_err(q->req, ENOMEM);
		} else {
			memset(buf, (int)v, q->size);
			r = fuse_reply_buf(q->req, (const char *)buf, q->size);
			free(buf);
		}
	} else {
		r = fuse_reply_write(q->req, q->size);
	}
	if (r < 0)
		logmsg("fuse_reply %ld: %s (the requester is gone?)", k, strerror(-r));
	free(q->data);
	free(q);
	reply("{\"ok\":true}");
	return true;
}

const struct agent_cmd fuse_agent_cmds[] = {
	{"fuse_wait", cmd_fuse_wait},
	{"fuse_reply", cmd_fuse_reply},
	{"fuse_hold", cmd_fuse_hold},
	{"fuse_release", cmd_fuse_release},
	{"fuse_queued", cmd_fuse_queued},
	{NULL, NULL},
};
