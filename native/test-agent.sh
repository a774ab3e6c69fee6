#!/usr/bin/env bash
# Self-test of the pinlab native agent on the running kernel.
#   native/test-agent.sh [AGENT]   (default: builds target/native/pinlab-agent first)
# Needs root (FUSE mount, loop devices and mounts, PFNs in /proc/PID/pagemap, /proc/kpageflags, /dev/kmsg),
# python3, mkfs.ext4, mkfs.xfs, mkfs.btrfs.  Lines "PROBE ..." record what the running kernel did in the
# real-kernel probes (section p): the ground truth the model is checked against.
# Prints one line per check and a final "N passed, M failed"; exits nonzero on failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -ge 1 ]]; then
  AGENT="$1"
else
  AGENT="$ROOT/target/native/pinlab-agent"
  "$ROOT/native/build.sh" "$AGENT" >/dev/null
fi
[[ -x "$AGENT" ]] || { echo "test-agent.sh: no agent binary at $AGENT" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "test-agent.sh: python3 is missing" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
  echo "test-agent.sh: must run as root (FUSE mount, loop devices, pagemap PFNs, kpageflags)" >&2
  exit 2
fi

exec python3 - "$AGENT" <<'PYEOF'
import json, os, select, signal, subprocess, sys, tempfile, time, shutil, traceback

AGENT = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="pinlab-agent-test.")
passed = 0
failed = 0
failures = []


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        failures.append(name)
        print(f"FAIL {name} {detail}")
    sys.stdout.flush()
    return cond


class Agent:
    n = 0

    def __init__(self, timeout_ms=3000):
        Agent.n += 1
        self.dir = os.path.join(TMP, f"w{Agent.n}")
        os.mkdir(self.dir)
        self.err = open(os.path.join(TMP, f"w{Agent.n}.stderr"), "w")
        self.p = subprocess.Popen([AGENT, "--workdir", self.dir, "--step-timeout-ms", str(timeout_ms)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.buf = b""
        self.pids = []

    def line(self, timeout=15):
        deadline = time.time() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no reply from the agent")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError("agent closed stdout")
                self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return l.decode()

    def raw(self, line, timeout=15):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()
        return self.line(timeout)

    def cmd(self, line, timeout=15):
        text = self.raw(line, timeout)
        try:
            d = json.loads(text)
        except ValueError:
            raise AssertionError(f"reply to {line!r} is not JSON: {text!r}")
        if not isinstance(d, dict) or "ok" not in d:
            raise AssertionError(f"reply to {line!r} has no ok: {text!r}")
        if "pid" in d and isinstance(d["pid"], int) and (line.startswith("spawn") or " fork" in line):
            self.pids.append(d["pid"])
        return d

    def ok(self, line):
        d = self.cmd(line)
        if d.get("ok") is not True:
            raise AssertionError(f"{line!r} failed: {d}")
        return d

    def wait_exit(self, timeout=15):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def pid_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st in ("Z", "X")
    except FileNotFoundError:
        return True


def mounted(path):
    with open("/proc/mounts") as f:
        return any(l.split()[1] == path for l in f)


def run(name, fn):
    a = None
    try:
        a = fn()
    except AssertionError as e:
        check(name, False, str(e))
    except Exception:
        check(name, False, traceback.format_exc())
    finally:
        if isinstance(a, Agent) and a.p.poll() is None:
            # end it the proper way, so it unmounts
            try:
                a.cmd("shutdown")
                a.wait_exit()
            except Exception:
                pass
            a.kill()


def setup(a, nchan=4, npipes=4, chans="0 1"):
    a.ok("init %d %d" % (nchan, npipes))
    return a.ok("spawn " + chans)["pid"]


# a. handshake, init, spawn, mmap/store/load; malformed lines
def t_basic():
    a = Agent()
    h = a.cmd("hello")
    check("a: hello", h.get("ok") is True and h.get("agent") == "pinlab-agent" and h.get("protocol") == 2
          and h.get("kernel") == os.uname().release, str(h))
    check("a: init", a.cmd("init 4 4").get("ok") is True)
    check("a: second init fails", a.cmd("init 4 4").get("ok") is False)
    sp = a.cmd("spawn 0 1")
    check("a: spawn", sp.get("ok") is True and isinstance(sp.get("pid"), int) and not pid_gone(sp["pid"]), str(sp))
    check("a: mmap", a.cmd("send 0 mmap 0 2 rw private") == {"ok": True})
    check("a: store", a.cmd("send 0 store 0 3 42") == {"ok": True})
    check("a: load (same thread)", a.cmd("send 0 load 0 3") == {"ok": True, "value": 42})
    check("a: load (other thread)", a.cmd("send 1 load 0 3") == {"ok": True, "value": 42})
    check("a: untouched cell is 0", a.cmd("send 1 load 0 0") == {"ok": True, "value": 0})
    bad = ["bogus", "", "send", "send 9 load 0 0", "send x load 0 0", "send 0 frob 1", "send 0 store 0 0 256",
           "send 0 mmap 0 1 rwx private", "spawn 99", "spawn 0", "finish 0", "fuse_reply 12345 1",
           "pagemap 1 2", "pipe_write 9 1", "alive", "send 2 load 0 0", "shutdown now"]
    for b in bad:
        d = a.cmd(b)
        check(f"a: malformed {b!r} -> ok:false", d.get("ok") is False and isinstance(d.get("error"), str), str(d))
    d = a.cmd("bogus command")
    check("a: bad command error text", d.get("error", "").startswith("bad command"), str(d))
    check("a: still alive after junk", a.cmd("send 0 load 0 3") == {"ok": True, "value": 42})
    check("a: alive", a.cmd("alive %d" % sp["pid"]) == {"ok": True, "alive": True})
    check("a: mprotect r", a.cmd("send 0 mprotect 0 2 r") == {"ok": True, "ret": 0})
    d = a.cmd("send 0 store 0 3 1")
    check("a: store to r/o page dies with SIGSEGV", d == {"ok": False, "error": "died", "signal": 11}, str(d))
    check("a: other channel of the dead process died too", a.cmd("send 1 load 0 3").get("error") == "died")
    check("a: alive false after death", a.cmd("alive %d" % sp["pid"]) == {"ok": True, "alive": False})
    sp2 = a.cmd("spawn 0 1")
    check("a: channel of a dead process can be reused", sp2.get("ok") is True, str(sp2))
    check("a: probe unmapped slot", a.cmd("send 0 probe 0") == {"ok": True, "mapped": False, "read": False})
    a.ok("send 0 mmap 0 2 rw private")
    a.ok("send 0 store 0 2 9")
    check("a: probe rw slot", a.cmd("send 0 probe 0") == {"ok": True, "mapped": True, "read": True})
    a.ok("send 0 mmap 1 1 none private")
    check("a: probe PROT_NONE slot", a.cmd("send 1 probe 1") == {"ok": True, "mapped": True, "read": False})
    check("a: mremap 0 -> 1 (replaces slot 1)", a.cmd("send 0 mremap 0 2 1") == {"ok": True})
    check("a: data moved with the mapping", a.cmd("send 1 load 1 2") == {"ok": True, "value": 9})
    check("a: old slot unmapped", a.cmd("send 1 probe 0") == {"ok": True, "mapped": False, "read": False})
    check("a: mremap of nothing fails", a.cmd("send 0 mremap 5 1 6").get("ok") is False)
    d = a.cmd("send 0 exit")
    check("a: exit -> died signal 0", d == {"ok": False, "error": "died", "signal": 0}, str(d))
    return a


# b. io_uring fixed buffer pinned page is copied for the child at fork
def t_uring_fork():
    a = Agent()
    P = setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 store 0 0 1")
    a.ok("send 0 mmap 1 1 rw private")
    a.ok("send 0 store 1 0 1")
    check("b: uring_setup", a.cmd("send 0 uring_setup 0") == {"ok": True, "ret": 0})
    check("b: uring_register", a.cmd("send 0 uring_register 0 0 1") == {"ok": True, "ret": 0})
    f = a.ok("send 0 fork 2")
    C = f["pid"]
    pp, pc = a.ok("pagemap %d 0 0" % P), a.ok("pagemap %d 0 0" % C)
    check("b: pinned page present in both", pp["present"] and pc["present"], f"{pp} {pc}")
    check("b: pinned page: PFNs differ after fork (child got a copy)", pp["pfn"] != pc["pfn"], f"{pp} {pc}")
    check("b: pinned page stays exclusive in the parent", pp["exclusive"] is True and pp["anon"] is True, str(pp))
    up, uc = a.ok("pagemap %d 1 0" % P), a.ok("pagemap %d 1 0" % C)
    check("b: unpinned page: PFNs equal after fork (shared COW)", up["present"] and up["pfn"] == uc["pfn"],
          f"{up} {uc}")
    check("b: unpinned shared page not exclusive", up["exclusive"] is False, str(up))
    check("b: no THP", not pp["thp"] and not up["thp"])
    check("b: child sees the data", a.cmd("send 2 load 0 0") == {"ok": True, "value": 1})
    # the READ_FIXED lands in the parent's (pinned) page, not in the child's copy
    a.ok("pipe_write 0 7")
    check("b: read_fixed after fork", a.cmd("send 0 read_fixed 0 0 0 0") == {"ok": True, "ret": 1})
    check("b: parent sees the read", a.cmd("send 0 load 0 0") == {"ok": True, "value": 7})
    check("b: child keeps its copy", a.cmd("send 2 load 0 0") == {"ok": True, "value": 1})
    z = a.ok("pagemap %d 2 0" % P)
    check("b: pagemap of an unmapped slot: not present", z["present"] is False and z["pfn"] == 0, str(z))
    return a


# f2. batch and go: free runs (commands back to back after one start gate, a fork inside a batch)
def t_batch():
    a = Agent()
    setup(a, nchan=4, npipes=1, chans="0 1")
    a.ok("send 0 mmap 0 1 rw private")
    check("f2: start batch", a.cmd("start 0 batch store 0 0 5 ; load 0 0 ; fork 2 ; load 0 1") == {"ok": True})
    time.sleep(0.2)
    d = a.cmd("send 1 load 0 0")
    check("f2: a batch waits at the gate (its store is not done)", d == {"ok": True, "value": 0}, str(d))
    check("f2: start empty batch", a.cmd("start 1 batch") == {"ok": True})
    check("f2: go", a.cmd("go 2") == {"ok": True})
    b1 = a.cmd("finish 1")
    check("f2: empty batch replies", b1 == {"ok": True, "replies": []}, str(b1))
    b0 = a.cmd("finish 0")
    r = b0.get("replies", [])
    check("f2: batch replies in order", b0.get("ok") is True and len(r) == 4 and r[0] == {"ok": True}
          and r[1] == {"ok": True, "value": 5} and isinstance(r[2].get("pid"), int) and r[3] == {"ok": True, "value": 0},
          str(b0))
    d = a.cmd("send 2 load 0 0")
    check("f2: the fork inside a batch gave the child its channel", d == {"ok": True, "value": 5}, str(d))
    check("f2: nested batch refused", a.cmd("send 0 batch batch").get("error", "").startswith("bad command"))
    check("f2: empty command refused", a.cmd("send 0 batch load 0 0 ;").get("error", "").startswith("bad command"))
    check("f2: two forks refused", a.cmd("send 0 batch fork 3 ; fork 3").get("error", "").startswith("bad command"))
    check("f2: go 0 refused", a.cmd("go 0").get("ok") is False)
    sp = a.cmd("send 1 spread")
    check("f2: spread: every CPU the agent was allowed", sp == {"ok": True, "cpus": len(os.sched_getaffinity(0))},
          str(sp))
    return a


# c. vmsplice + fork + parent write: the pipe keeps the old data
def t_vmsplice():
    a = Agent()
    setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 store 0 0 1")
    d = a.cmd("send 0 vmsplice 1 0 1")
    check("c: vmsplice", d == {"ok": True, "ret": 4096}, str(d))
    check("c: pipe_peek before fork", a.cmd("send 0 pipe_peek 1 0") == {"ok": True, "value": 1})
    a.ok("send 0 fork 2")
    a.ok("send 0 store 0 0 2")
    d = a.cmd("send 0 pipe_peek 1 0")
    check("c: pipe still holds the old data (1)", d == {"ok": True, "value": 1}, str(d))
    check("c: parent loads 2", a.cmd("send 0 load 0 0") == {"ok": True, "value": 2})
    check("c: child loads 1", a.cmd("send 2 load 0 0") == {"ok": True, "value": 1})
    check("c: pipe_peek does not consume", a.cmd("send 1 pipe_peek 1 0") == {"ok": True, "value": 1})
    check("c: pipe_peek of an empty pipe fails", a.cmd("send 1 pipe_peek 3 0").get("ok") is False)
    return a


# d. MADV_DONTFORK: the child has no mapping
def t_dontfork():
    a = Agent()
    setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 store 0 0 3")
    check("d: madvise dontfork", a.cmd("send 0 madvise 0 1 dontfork") == {"ok": True, "ret": 0})
    C = a.ok("send 0 fork 2")["pid"]
    pm = a.ok("pagemap %d 0 0" % C)
    check("d: child pagemap not present", pm["present"] is False, str(pm))
    d = a.cmd("send 2 load 0 0")
    check("d: child load dies with SIGSEGV", d == {"ok": False, "error": "died", "signal": 11}, str(d))
    check("d: child not alive", a.cmd("alive %d" % C) == {"ok": True, "alive": False})
    check("d: parent unaffected", a.cmd("send 0 load 0 0") == {"ok": True, "value": 3})
    return a


# e. FUSE O_DIRECT read and write
def t_fuse():
    a = Agent()
    P = setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 store 0 0 5")
    check("e: start dio_read", a.cmd("start 0 dio_read 0 0") == {"ok": True})
    w = a.cmd("fuse_wait")
    check("e: fuse_wait sees the READ", w.get("ok") is True and w.get("op") == "read" and w.get("size") == 1
          and w.get("offset") == 0 and w.get("pid") == P, str(w))
    check("e: busy channel refuses a second command", a.cmd("send 0 load 0 0").get("ok") is False)
    # FOLL_PIN check: fork while the O_DIRECT read is in flight
    C = a.ok("send 1 fork 2")["pid"]
    pp, pc = a.ok("pagemap %d 0 0" % P), a.ok("pagemap %d 0 0" % C)
    check("e: dio_read pins (FOLL_PIN): fork copied the page for the child", pp["pfn"] != pc["pfn"], f"{pp} {pc}")
    check("e: fuse_reply", a.cmd("fuse_reply %d 7" % w["id"]) == {"ok": True})
    d = a.cmd("finish 0")
    check("e: finish returns ret 1", d == {"ok": True, "ret": 1}, str(d))
    check("e: load gives 7", a.cmd("send 0 load 0 0") == {"ok": True, "value": 7})
    check("e: child keeps 5", a.cmd("send 2 load 0 0") == {"ok": True, "value": 5})
    check("e: fuse_reply of an answered id fails", a.cmd("fuse_reply %d 7" % w["id"]).get("ok") is False)
    a.ok("send 0 store 0 1 9")
    check("e: start dio_write", a.cmd("start 0 dio_write 0 1 8192") == {"ok": True})
    w = a.cmd("fuse_wait")
    check("e: fuse_wait sees the WRITE with its data", w.get("op") == "write" and w.get("data") == [9]
          and w.get("offset") == 8192 and w.get("size") == 1, str(w))
    a.ok("fuse_reply %d 0" % w["id"])
    check("e: dio_write returns 1", a.cmd("finish 0") == {"ok": True, "ret": 1})
    d = a.cmd("fuse_wait")
    check("e: fuse_wait with nothing pending times out", d.get("ok") is False and "timeout" in d.get("error", ""),
          str(d))
    return a


# e2. a timed-out send; the late reply must not be taken for the next command's
def t_timeout():
    a = Agent(timeout_ms=1000)
    setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    t0 = time.time()
    d = a.cmd("send 0 dio_read 0 0")
    dt = time.time() - t0
    check("e2: blocked send times out", d.get("ok") is False and "timeout" in d.get("error", ""), str(d))
    check("e2: after about the step timeout", 0.8 < dt < 3.0, "%.2fs" % dt)
    w = a.ok("fuse_wait")
    a.ok("fuse_reply %d 4" % w["id"])
    d = a.cmd("send 0 load 0 0")
    check("e2: next reply is the right one", d == {"ok": True, "value": 4}, str(d))
    return a


# f. read_fixed / write_fixed
def t_fixed():
    a = Agent()
    setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 uring_setup 0")
    check("f: register", a.cmd("send 0 uring_register 0 0 1") == {"ok": True, "ret": 0})
    a.ok("pipe_write 2 42")
    d = a.cmd("send 0 read_fixed 0 2 0 1")
    check("f: read_fixed ret 1", d == {"ok": True, "ret": 1}, str(d))
    check("f: load sees the byte", a.cmd("send 1 load 0 1") == {"ok": True, "value": 42})
    a.ok("send 1 store 0 0 77")
    d = a.cmd("send 0 write_fixed 0 2 0 0")
    check("f: write_fixed reads the cell back", d == {"ok": True, "ret": 1, "value": 77}, str(d))
    check("f: unregister", a.cmd("send 0 uring_unregister 0") == {"ok": True, "ret": 0})
    d = a.cmd("send 0 read_fixed 0 2 0 1")
    check("f: read_fixed without buffers fails", d.get("ok") is True and d.get("ret", 0) < 0, str(d))
    check("f: read_fixed on a ring not set up", a.cmd("send 0 read_fixed 5 2 0 1").get("ok") is False)
    return a


def busy_agent():
    """an agent with a process, a grandchild, a great-grandchild and a
    process stuck in an unanswered FUSE read"""
    a = Agent()
    setup(a, nchan=6, chans="0 1")
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 fork 2 3")
    a.ok("send 2 fork 4")
    a.ok("start 3 dio_read 0 0")
    a.ok("fuse_wait")
    return a


def check_clean(tag, a):
    mnt = os.path.join(a.dir, "mnt")
    left = [p for p in a.pids if not pid_gone(p)]
    check(f"g: {tag}: no scenario process survives", not left and len(a.pids) == 3, f"pids {a.pids} alive {left}")
    check(f"g: {tag}: FUSE mount is gone", not mounted(mnt))
    check(f"g: {tag}: mnt removed", not os.path.exists(mnt))


def t_shutdown():
    a = busy_agent()
    d = a.cmd("shutdown")
    check("g: shutdown replies ok", d == {"ok": True}, str(d))
    check("g: shutdown exits 0", a.wait_exit() == 0)
    check_clean("shutdown", a)
    return a


def t_sigterm():
    a = busy_agent()
    a.p.send_signal(signal.SIGTERM)
    rc = a.wait_exit()
    check("g: SIGTERM: agent exits", rc is not None, str(rc))
    check_clean("SIGTERM", a)
    return a


def t_eof():
    a = busy_agent()
    a.p.stdin.close()
    check("g: EOF: agent exits 0", a.wait_exit() == 0)
    check_clean("EOF", a)
    return a


def t_stale():
    a = Agent()
    setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("start 0 dio_read 0 0")
    a.ok("fuse_wait")
    a.p.kill()  # SIGKILL: no cleanup, the mount stays (stale)
    a.p.wait()
    mnt = os.path.join(a.dir, "mnt")
    check("stale: SIGKILL leaves the mount behind", mounted(mnt))
    deadline = time.time() + 5
    while time.time() < deadline and not all(pid_gone(p) for p in a.pids):
        time.sleep(0.05)
    check("stale: PDEATHSIG killed the scenario processes", all(pid_gone(p) for p in a.pids), str(a.pids))
    a.err.close()
    b = Agent.__new__(Agent)
    b.dir, b.buf, b.pids = a.dir, b"", []
    b.err = open(os.path.join(TMP, "stale.stderr"), "w")
    b.p = subprocess.Popen([AGENT, "--workdir", b.dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=b.err)
    h = b.cmd("hello")
    check("stale: a new agent in the same workdir starts", h.get("ok") is True, str(h))
    check("stale: and has a working mount", mounted(mnt))
    b.ok("init 1 0")
    b.ok("spawn 0")
    b.ok("send 0 mmap 0 1 rw private")
    b.ok("start 0 dio_read 0 0")
    w = b.ok("fuse_wait")
    b.ok("fuse_reply %d 3" % w["id"])
    check("stale: FUSE works again", b.cmd("finish 0") == {"ok": True, "ret": 1})
    b.ok("shutdown")
    b.wait_exit()
    check("stale: no mount after shutdown", not mounted(mnt))
    return b


def t_startup():
    d = os.path.join(TMP, "notempty")
    os.makedirs(os.path.join(d, "mnt", "x"))
    p = subprocess.run([AGENT, "--workdir", d], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    out = p.stdout.decode().strip()
    check("startup: a non-empty DIR/mnt is refused", p.returncode == 2 and json.loads(out).get("ok") is False, out)
    check("startup: and left alone", os.path.isdir(os.path.join(d, "mnt", "x")))
    d = os.path.join(TMP, "withstderr")
    os.mkdir(d)
    with open(os.path.join(d, "agent.stderr"), "w") as err:  # what the Java client does
        p = subprocess.run([AGENT, "--workdir", d], input=b"hello\nshutdown\n", stdout=subprocess.PIPE,
                           stderr=err, timeout=20)
    out = p.stdout.decode().split("\n")
    check("startup: DIR holding the caller's agent.stderr is accepted", p.returncode == 0
          and json.loads(out[0]).get("ok") is True and json.loads(out[1]) == {"ok": True}, str(out))
    p = subprocess.run([AGENT], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    check("startup: missing --workdir refused", p.returncode == 2)


# ---------------------------------------------------------------------------------------------------------
# h. real file systems: fs_make, file_create, memfd_create and the file commands

BLOCK_KINDS = ["ext4", "xfs", "btrfs"]
KINDS = BLOCK_KINDS + ["tmpfs"]


def fstype(path):
    with open("/proc/mounts") as f:
        for l in f:
            p = l.split()
            if p[1] == path:
                return p[2]
    return None


def sysfs(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def loops_under(d):
    """loop devices whose backing file is inside directory d"""
    out = []
    for n in sorted(os.listdir("/sys/block")):
        b = sysfs(f"/sys/block/{n}/loop/backing_file")
        if n.startswith("loop") and b and b.startswith(d + "/"):
            out.append(n)
    return out


def mounts_under(d):
    with open("/proc/mounts") as f:
        return [l.split()[1] for l in f if l.split()[1].startswith(d + "/")]


def t_fs():
    a = Agent()
    loops = {}
    for k in KINDS:
        d = a.cmd(f"fs_make {k} {k}")
        mnt = os.path.join(a.dir, "fs", k)
        check(f"h: fs_make {k}", d.get("ok") is True and d.get("mount") == mnt and fstype(mnt) == k, str(d))
        loops[k] = d.get("loop")
    for k in BLOCK_KINDS:
        n = loops[k]
        check(f"h: {k} is on an autoclear loop device backed by DIR/fs/{k}.img",
              sysfs(f"/sys/block/loop{n}/loop/autoclear") == "1"
              and sysfs(f"/sys/block/loop{n}/loop/backing_file") == os.path.join(a.dir, "fs", k + ".img"), str(n))
        check(f"h: {k}: stable_writes off", sysfs(f"/sys/block/loop{n}/queue/stable_writes") == "0")
    check("h: tmpfs has no loop device", loops["tmpfs"] == -1)
    d = a.cmd("fs_make st ext4 stable")
    check("h: fs_make ... stable: the loop queue requires stable writes", d.get("ok") is True
          and sysfs(f"/sys/block/loop{d.get('loop')}/queue/stable_writes") == "1", str(d))
    for b in ["fs_make x bogus", "fs_make a/b ext4", "fs_make ext4 ext4", "fs_make t tmpfs stable", "fs_make y ext4 fast",
              "fs_make", "file_create 0 nofs 1 full", "file_create 0 ext4 0 full", "file_create 0 ext4 1 half",
              "file_create 64 ext4 1 full", "memfd_create 0", "disk_read 0 0", "cache_state 0 0"]:
        d = a.cmd(b)
        check(f"h: {b!r} -> ok:false", d.get("ok") is False and isinstance(d.get("error"), str), str(d))
    # FIDs: 0..3 full on ext4, xfs, btrfs, tmpfs; 4..7 sparse on the same; 8 memfd; 9 ext4 ro; 10 ext4 unmapped
    for i, k in enumerate(KINDS):
        check(f"h: file_create {i} {k} full", a.cmd(f"file_create {i} {k} 4 full").get("ok") is True)
        check(f"h: file_create {i + 4} {k} sparse", a.cmd(f"file_create {i + 4} {k} 4 sparse").get("ok") is True)
    d = a.cmd("memfd_create 8 4")
    check("h: memfd_create", d.get("ok") is True and d.get("dio") == 0, str(d))
    a.ok("file_create 9 ext4 2 full ro")
    a.ok("file_create 10 ext4 1 full")
    check("h: a FID is made once", a.cmd("file_create 0 ext4 1 full").get("ok") is False)
    check("h: a FID is made once (memfd)", a.cmd("memfd_create 0 1").get("ok") is False)
    check("h: the file is DIR/fs/NAME/fFID", os.path.isfile(os.path.join(a.dir, "fs", "xfs", "f1")))
    for i, k in enumerate(BLOCK_KINDS):
        c = a.ok(f"cache_state {i} 0")
        check(f"h: {k} full file starts uncached", c["cached"] is False, str(c))
        d = a.ok(f"disk_read {i} 0")
        check(f"h: {k} full file: blocks written (zeros)", d["extent"] == "written" and d["value"] == 0
              and d["hole"] is False, str(d))
        d = a.ok(f"disk_read {i + 4} 0")
        check(f"h: {k} sparse file: a hole", d["extent"] == "hole" and d["hole"] is True and d["value"] == 0, str(d))
    for f in (3, 7, 8):
        d = a.cmd(f"disk_read {f} 0")
        check(f"h: disk_read of file {f} (tmpfs/memfd): no disk", d.get("ok") is False and "no disk" in d["error"], str(d))
    check("h: memfd is cacheable", a.ok("cache_state 3 0")["cached"] is True)
    a.ok("init 2 0")
    P = a.ok("spawn 0 1")["pid"]
    for b in ["fs_make late ext4", "file_create 11 ext4 1 full", "memfd_create 11 1"]:
        d = a.cmd(b)
        check(f"h: {b!r} after spawn fails", d.get("ok") is False and "before the first spawn" in d["error"], str(d))
    for f in range(9):
        d = a.cmd(f"send 0 mmap {f} 4 rw shared file {f}")
        check(f"h: mmap shared file {f}", d == {"ok": True, "ret": 0}, str(d))
        a.ok(f"send 0 store {f} 0 {10 + f}")
        d = a.cmd(f"send 1 pread {f} 0")
        check(f"h: file {f}: pread sees the store", d == {"ok": True, "ret": 1, "value": 10 + f}, str(d))
        c = a.ok(f"cache_state {f} 0")
        # cachestat's dirty is the page cache's dirty tag, which tmpfs and memfd (shmem) never set
        check(f"h: file {f}: the page is cached" + ("" if f in (3, 7, 8) else " and dirty"),
              c["cached"] is True and c["dirty"] is (f not in (3, 7, 8)), str(c))
    for i, k in enumerate(BLOCK_KINDS):
        for f, what, before in ((i, "full", "written"), (i + 4, "sparse", "delalloc")):
            d = a.ok(f"disk_read {f} 0")
            check(f"h: {k} {what}: disk still old before fsync ({before})", d["value"] == 0 and d["extent"] == before,
                  str(d))
            check(f"h: {k} {what}: fsync", a.cmd(f"send 1 fsync {f}") == {"ok": True, "ret": 0})
            d = a.ok(f"disk_read {f} 0")
            check(f"h: {k} {what}: disk_read after fsync", d["value"] == 10 + f and d["extent"] == "written", str(d))
            c = a.ok(f"cache_state {f} 0")
            check(f"h: {k} {what}: clean and cached after fsync", c["cached"] and not c["dirty"], str(c))
    check("h: pwrite", a.cmd("send 1 pwrite 0 3 77") == {"ok": True, "ret": 1})
    check("h: pread", a.cmd("send 0 pread 0 3") == {"ok": True, "ret": 1, "value": 77})
    check("h: the mapping sees the pwrite", a.cmd("send 0 load 0 3") == {"ok": True, "value": 77})
    a.ok("send 0 store 0 2 33")
    check("h: mmap with PAGEOFF", a.cmd("send 0 mmap 20 1 r shared file 0 1") == {"ok": True, "ret": 0})
    check("h: PAGEOFF maps that page", a.cmd("send 0 load 20 0") == {"ok": True, "value": 33})
    check("h: ro file: MAP_SHARED rw is EACCES", a.cmd("send 0 mmap 21 1 rw shared file 9") == {"ok": True, "ret": -13})
    check("h: ro file: MAP_SHARED r", a.cmd("send 0 mmap 21 1 r shared file 9") == {"ok": True, "ret": 0})
    check("h: ro file: MAP_PRIVATE rw", a.cmd("send 0 mmap 22 1 rw private file 9") == {"ok": True, "ret": 0})
    check("h: ro file: pwrite is EBADF", a.cmd("send 0 pwrite 9 0 1") == {"ok": True, "ret": -9})
    for c in ["fdatasync 1", "syncfs 2", "sync", "sync_file_range 0 0 1 write|wait_after",
              "sync_file_range 1 0 2 wait_before|write|wait_after"]:
        check(f"h: {c}", a.cmd("send 0 " + c) == {"ok": True, "ret": 0})
    a.ok("send 0 store 0 0 99")
    check("h: msync sync", a.cmd("send 0 msync 0 1 sync") == {"ok": True, "ret": 0})
    check("h: msync wrote the page", a.ok("disk_read 0 0")["value"] == 99 and not a.ok("cache_state 0 0")["dirty"])
    check("h: msync async / invalidate", a.cmd("send 0 msync 0 1 async") == {"ok": True, "ret": 0}
          and a.cmd("send 0 msync 0 1 invalidate") == {"ok": True, "ret": 0})
    a.ok("send 0 pread 10 0")
    check("h: pread caches an unmapped page", a.ok("cache_state 10 0")["cached"] is True)
    check("h: fadvise dontneed", a.cmd("send 0 fadvise 10 0 1 dontneed") == {"ok": True, "ret": 0})
    check("h: fadvise dropped the clean page", a.ok("cache_state 10 0")["cached"] is False)
    a.ok("send 0 pread 10 0")
    check("h: drop_caches", a.cmd("drop_caches") == {"ok": True})
    check("h: drop_caches dropped the clean unmapped page", a.ok("cache_state 10 0")["cached"] is False)
    a.ok("send 0 pwrite 0 6 5")
    a.ok("send 0 fsync 0")
    check("h: page 3 on disk", a.ok("disk_read 0 6")["value"] == 5)
    check("h: punch", a.cmd("send 0 punch 0 3 1") == {"ok": True, "ret": 0})
    d = a.ok("disk_read 0 6")
    check("h: punched page is a hole", d["hole"] is True and d["extent"] == "hole", str(d))
    check("h: punched page reads 0", a.cmd("send 0 pread 0 6") == {"ok": True, "ret": 1, "value": 0})
    check("h: ftruncate", a.cmd("send 0 ftruncate 4 1") == {"ok": True, "ret": 0})
    check("h: pread beyond EOF", a.cmd("send 0 pread 4 2") == {"ok": True, "ret": 0, "value": -1})
    for adv in ["cold", "pageout", "dontneed"]:
        check(f"h: madvise {adv}", a.cmd(f"send 0 madvise 1 4 {adv}") == {"ok": True, "ret": 0})
    a.ok("send 0 mmap 30 1 rw private")
    a.ok("send 0 mmap 31 1 rw private")
    for f in (0, 1, 2, 3, 8):
        a.ok(f"send 0 store 30 0 {40 + f}")
        check(f"h: dio_write_file {f}", a.cmd(f"send 0 dio_write_file {f} 2 30 0") == {"ok": True, "ret": 4096})
        check(f"h: file {f}: pread sees the O_DIRECT write", a.cmd(f"send 0 pread {f} 4") ==
              {"ok": True, "ret": 1, "value": 40 + f})
        check(f"h: dio_read_file {f}", a.cmd(f"send 0 dio_read_file {f} 2 31 1") == {"ok": True, "ret": 4096})
        check(f"h: file {f}: O_DIRECT read into the slot page", a.cmd("send 0 load 31 0") ==
              {"ok": True, "value": 40 + f})
    check("h: dio_write_file to the ro file is EBADF", a.cmd("send 0 dio_write_file 9 0 30 0") == {"ok": True, "ret": -9})
    a.ok("send 0 store 0 1 123")
    a.ok("start 0 dio_write 0 1 4096")
    w = a.ok("fuse_wait")
    check("h: FUSE dio_write from a file mapping", w["op"] == "write" and w["data"] == [123], str(w))
    a.ok("fuse_reply %d 0" % w["id"])
    check("h: ... returns 1", a.cmd("finish 0") == {"ok": True, "ret": 1})
    a.ok("start 0 dio_read 0 1")
    w = a.ok("fuse_wait")
    a.ok("fuse_reply %d 44" % w["id"])
    check("h: FUSE dio_read into a file mapping", a.cmd("finish 0") == {"ok": True, "ret": 1})
    check("h: ... lands in the page cache", a.cmd("send 1 pread 0 1") == {"ok": True, "ret": 1, "value": 44})
    d = a.cmd("send 0 pread 63 0")
    check("h: a FID never made", d.get("ok") is False and "does not exist" in d.get("error", ""), str(d))
    for b in ["pread 64 0", "pwrite 0 0 256", "fsync", "sync_file_range 0 0 1 flush", "fadvise 0 0 1 willneed",
              "mmap 0 1 rw shared file", "mmap 0 1 rw shared disk 0", "msync 0 1 now", "madvise 0 1 hugepage",
              "dio_read_file 0 4096 0 0", "punch 0 0 0"]:
        d = a.cmd("send 0 " + b)
        check(f"h: malformed {b!r}", d.get("ok") is False and d.get("error", "").startswith("bad command"), str(d))
    return a


# i. kmsg_mark / kmsg_events
def t_kmsg():
    a = Agent()
    d = a.cmd("kmsg_events")
    check("i: kmsg_events before kmsg_mark fails", d.get("ok") is False, str(d))
    with open("/dev/kmsg", "w") as k:
        k.write("pinlab-test: WARNING: before the mark\n")
    check("i: kmsg_mark", a.cmd("kmsg_mark") == {"ok": True})
    with open("/dev/kmsg", "w") as k:
        k.write("pinlab-test: kernel BUG at mm/x.c:1! (from user space)\n")
    check("i: a record written from user space is not the kernel's", a.ok("kmsg_events")["events"] == [])
    check("i: kmsg_mark user", a.cmd("kmsg_mark user") == {"ok": True})
    lines = ["pinlab-test: WARNING: CPU: 0 PID: 1 at fs/x.c:1 probe",
             "pinlab-test: EXT4-fs warning (device loop9): page 0 does not have buffers attached",
             "pinlab-test: Page cache invalidation failure on direct I/O.  Possible data corruption",
             "pinlab-test: BTRFS warning (device loop9): csum failed root 5 ino 257 off 0",
             "pinlab-test: kernel BUG at mm/x.c:1!", "pinlab-test: an unrelated line"]
    with open("/dev/kmsg", "w") as k:
        for l in lines:
            k.write(l + "\n")
            k.flush()
    d = a.ok("kmsg_events")
    kinds = [e["kind"] for e in d["events"]]
    check("i: events since the mark, with kinds", kinds == ["warning", "ext4_no_buffers", "dio_stale_pagecache",
                                                            "btrfs_csum_failed", "bug"], str(d))
    check("i: the line is the message text", d["events"][0]["line"] == lines[0], str(d))
    check("i: kmsg_events again returns the same list", a.ok("kmsg_events")["events"] == d["events"])
    a.ok("kmsg_mark user")
    check("i: a new mark clears the list", a.ok("kmsg_events")["events"] == [])
    check("i: malformed 'kmsg_mark all'", a.cmd("kmsg_mark all").get("ok") is False)
    return a


# k. the agent's own file I/O (writeback, evict, file_read, file_errors), disk_read verify, madvise FIRST, one CPU
def cpus_allowed(pid):
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("Cpus_allowed_list:"):
                return l.split()[1]
    return None


def t_own_io():
    a = Agent()
    h = a.ok("hello")
    check("k: hello names the agent's CPU", isinstance(h.get("cpu"), int) and h["cpu"] >= 0, str(h))
    check("k: the agent runs on that CPU only", cpus_allowed(a.p.pid) == str(h.get("cpu")), cpus_allowed(a.p.pid))
    a.ok("fs_make e ext4")
    a.ok("fs_make b btrfs")
    a.ok("file_create 0 e 2 full")
    a.ok("file_create 1 b 1 full")
    a.ok("file_create 2 e 1 full")
    a.ok("init 1 0")
    P = a.ok("spawn 0")["pid"]
    check("k: a scenario process inherits the CPU", cpus_allowed(P) == str(h.get("cpu")), cpus_allowed(P))
    a.ok("send 0 pwrite 0 0 5")
    a.ok("send 0 pwrite 0 2 6")
    check("k: writeback of one page", a.cmd("writeback 0 0 1 wait_before|write|wait_after") == {"ok": True, "ret": 0})
    check("k: ... writes that page", a.ok("disk_read 0 0")["value"] == 5 and not a.ok("cache_state 0 0")["dirty"])
    check("k: ... and no other", a.ok("disk_read 0 2")["value"] == 0 and a.ok("cache_state 0 1")["dirty"])
    check("k: file_read reads the page cache", a.cmd("file_read 0 2") == {"ok": True, "ret": 1, "value": 6})
    check("k: file_read past the end", a.cmd("file_read 0 4") == {"ok": True, "ret": 0, "value": -1})
    check("k: file_errors: none recorded", a.cmd("file_errors 0") == {"ok": True, "ret": 0})
    check("k: evict", a.cmd("evict 0 0 2") == {"ok": True, "ret": 0})
    check("k: evict drops the clean page", a.ok("cache_state 0 0")["cached"] is False)
    a.ok("send 0 pwrite 1 0 7")
    d = a.ok("disk_read 1 0")
    check("k: btrfs: a dirty page is not on disk yet (its checksum matches the old data)", d["value"] == 0
          and d["csum"] == "match", str(d))
    a.ok("writeback 1 0 1 wait_before|write|wait_after")
    d = a.ok("disk_read 1 0")
    check("k: btrfs: disk_read after writeback sees the new block, checksum matching", d["value"] == 7
          and d["csum"] == "match", str(d))
    check("k: ext4: no checksum", a.ok("disk_read 2 1")["csum"] == "none")
    with open(os.path.join(a.dir, "fs", "b.img"), "r+b") as img:  # the device's data changes behind btrfs
        img.seek(d["physical"])
        img.write(b"\x08")
    d = a.ok("disk_read 1 0")
    check("k: btrfs: a block changed on the device no longer matches its checksum", d["value"] == 8
          and d["csum"] == "mismatch", str(d))
    a.ok("evict 1 0 1")
    d = a.cmd("file_read 1 0")
    check("k: ... and the kernel agrees: reading it from the disk fails with -EIO", d == {"ok": True, "ret": -5,
          "value": -1}, str(d))
    a.ok("send 0 mmap 0 2 rw shared file 0")
    a.ok("send 0 store 0 0 8")
    a.ok("send 0 store 0 2 9")
    a.ok("send 0 fsync 0")
    check("k: madvise FIRST", a.cmd("send 0 madvise 0 1 pageout 1") == {"ok": True, "ret": 0})
    check("k: ... pages out the page FIRST only", a.ok(f"pagemap {P} 0 0")["present"] is True
          and a.ok(f"pagemap {P} 0 1")["present"] is False)
    for b in ["writeback 0 0 1 flush", "writeback 64 0 1 write", "evict 0 0", "file_read 0", "file_errors",
              "disk_read 0 0 verify", "send 0 madvise 0 1 pageout 4096"]:
        d = a.cmd(b)
        check(f"k: malformed {b!r}", d.get("ok") is False and "bad command" in d.get("error", ""), str(d))
    d = a.cmd("file_read 9 0")
    check("k: file_read of a FID never made", d.get("ok") is False and "does not exist" in d.get("error", ""), str(d))
    return a


# j. cleanup with file systems on every exit path, and a SIGKILLed agent's leftovers
def fs_busy_agent():
    a = Agent()
    for k in KINDS:
        a.ok(f"fs_make {k} {k}")
        a.ok(f"file_create {KINDS.index(k)} {k} 2 full")
    a.ok("memfd_create 4 1")
    a.ok("init 2 0")
    a.ok("spawn 0 1")
    for f in range(5):
        a.ok(f"send 0 mmap {f} 1 rw shared file {f}")
        a.ok(f"send 0 store {f} 0 1")
    a.ok("start 0 dio_read 0 0")  # the ext4 page stays pinned by a request nobody answers
    a.ok("fuse_wait")
    return a


def check_fs_clean(tag, a):
    check(f"j: {tag}: no mount left in DIR", not mounts_under(a.dir), str(mounts_under(a.dir)))
    check(f"j: {tag}: no loop device left on DIR", not loops_under(a.dir), str(loops_under(a.dir)))
    check(f"j: {tag}: DIR/fs removed", not os.path.exists(os.path.join(a.dir, "fs")))


def t_fs_shutdown():
    a = fs_busy_agent()
    check("j: shutdown replies ok", a.cmd("shutdown") == {"ok": True})
    check("j: shutdown exits 0", a.wait_exit() == 0)
    check_fs_clean("shutdown", a)
    return a


def t_fs_signal(sig, name):
    a = fs_busy_agent()
    a.p.send_signal(sig)
    check(f"j: {name}: agent exits", a.wait_exit() == 128 + sig)
    check_fs_clean(name, a)
    return a


def t_fs_eof():
    a = fs_busy_agent()
    a.p.stdin.close()
    check("j: EOF: agent exits 0", a.wait_exit() == 0)
    check_fs_clean("EOF", a)
    return a


def t_fs_stale():
    a = fs_busy_agent()
    a.p.kill()
    a.p.wait()
    check("j: SIGKILL leaves the file systems mounted", len(mounts_under(os.path.join(a.dir, "fs"))) == 4,
          str(mounts_under(a.dir)))
    deadline = time.time() + 5
    while time.time() < deadline and not all(pid_gone(p) for p in a.pids):
        time.sleep(0.05)
    a.err.close()
    b = Agent.__new__(Agent)
    b.dir, b.buf, b.pids = a.dir, b"", []
    b.err = open(os.path.join(TMP, "fs-stale.stderr"), "w")
    b.p = subprocess.Popen([AGENT, "--workdir", b.dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=b.err)
    check("j: stale: a new agent in the same workdir starts", b.cmd("hello").get("ok") is True)
    check("j: stale: the old mounts are detached", mounts_under(os.path.join(b.dir, "fs")) == [],
          str(mounts_under(b.dir)))
    check("j: stale: the old loop devices are detached", not loops_under(b.dir), str(loops_under(b.dir)))
    check("j: stale: the old images are removed", not os.path.exists(os.path.join(b.dir, "fs")))
    check("j: stale: fs_make works again", b.cmd("fs_make ext4 ext4").get("ok") is True)
    b.ok("shutdown")
    b.wait_exit()
    check_fs_clean("stale", b)
    return b


def t_fs_startup():
    d = os.path.join(TMP, "foreignfs")
    os.makedirs(os.path.join(d, "fs", "x"))
    with open(os.path.join(d, "fs", "x", "keep"), "w") as f:
        f.write("not an agent's\n")
    p = subprocess.run([AGENT, "--workdir", d], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    out = p.stdout.decode().strip()
    check("j: startup: DIR/fs holding foreign files is refused", p.returncode == 2 and
          json.loads(out).get("ok") is False, out)
    check("j: startup: and left alone", os.path.isfile(os.path.join(d, "fs", "x", "keep")))
    check("j: startup: the FUSE mount point is removed again", not os.path.exists(os.path.join(d, "mnt")))


# ---------------------------------------------------------------------------------------------------------
# p. real-kernel probes: what this kernel does; each prints a PROBE line with the observed values

def probe(name, values):
    print(f"PROBE {name}: {json.dumps(values, sort_keys=True)}")
    sys.stdout.flush()


def flags(a, pfn):
    d = a.ok(f"pageflags {pfn}")
    return {k: d[k] for k in ("mapcount", "dirty", "writeback", "lru", "private", "mmap")}


def cache(a, fid=0, page=0):
    d = a.ok(f"cache_state {fid} {page}")
    return {k: d[k] for k in ("cached", "dirty", "writeback")}


# 4a. io_uring fixed buffers on file mappings
def t_probe_register():
    a = Agent()
    for k in KINDS:
        a.ok(f"fs_make {k} {k}")
        a.ok(f"file_create {KINDS.index(k)} {k} 1 full")
    a.ok("memfd_create 4 1")
    a.ok("init 1 0")
    a.ok("spawn 0")
    cases = [("ext4 shared", 0, "shared", -14), ("xfs shared", 1, "shared", -14), ("btrfs shared", 2, "shared", -14),
             ("tmpfs shared", 3, "shared", 0), ("memfd shared", 4, "shared", 0), ("ext4 private", 0, "private", 0),
             ("xfs private", 1, "private", 0), ("btrfs private", 2, "private", 0)]
    got = {}
    for r, (name, fid, share, want) in enumerate(cases):
        a.ok(f"send 0 mmap {r + 1} 1 rw {share} file {fid}")
        a.ok(f"send 0 store {r + 1} 0 7")
        a.ok(f"send 0 uring_setup {r}")
        got[name] = a.ok(f"send 0 uring_register {r} {r + 1} 1")["ret"]
        check(f"p4a: uring_register on a {name} mapping -> {want}", got[name] == want, str(got[name]))
    probe("4a uring_register ret by mapping", got)
    return a


def wait_disk(a, fid, cell, value, seconds=3.0):
    """fsync again until disk_read shows value; returns (further fsyncs needed, last disk_read)"""
    deadline = time.time() + seconds
    n = 0
    while True:
        n += 1
        a.ok(f"send 1 fsync {fid}")
        d = a.ok(f"disk_read {fid} {cell}")
        if d["value"] == value or time.time() > deadline:
            return n, d
        time.sleep(0.1)


# 4b. Jan Kara's race: a pinned file page cleaned by writeback, reclaim, then the DMA completes
def kara(kind, evict, clean_while_pinned):
    tag = f"p4b: {kind} {evict}{' (fsync while pinned)' if clean_while_pinned else ''}"
    a = Agent()
    a.ok(f"fs_make e {kind}")
    a.ok("file_create 0 e 1 full")
    a.ok("init 2 0")
    P = a.ok("spawn 0 1")["pid"]
    a.ok("send 0 mmap 0 1 rw shared file 0")
    a.ok("send 0 store 0 0 1")
    a.ok("send 0 fsync 0")
    pfn = a.ok(f"pagemap {P} 0 0")["pfn"]
    v = {"before_pin": flags(a, pfn)}
    a.ok("kmsg_mark")
    a.ok("start 0 dio_read 0 0")
    w = a.ok("fuse_wait")
    v["pinned"] = cache(a)
    check(f"{tag}: pinning (GUP write fault, page_mkwrite) dirties the clean page", v["pinned"]["dirty"] is True)
    if clean_while_pinned:
        a.ok("send 1 fsync 0")
        v["cleaned"] = cache(a)
    v["evict_ret"] = a.ok("send 1 madvise 0 1 pageout" if evict == "pageout" else "send 1 fadvise 0 0 1 dontneed")["ret"]
    v["after_evict"] = dict(cache(a), **flags(a, pfn), pte=a.ok(f"pagemap {P} 0 0")["present"])
    check(f"{tag}: the pinned page stays in the page cache", v["after_evict"]["cached"] is True, str(v))
    check(f"{tag}: its fs-private data (buffers) is kept", v["after_evict"]["private"] == v["before_pin"]["private"],
          str(v))
    if evict == "pageout":
        check(f"{tag}: MADV_PAGEOUT unmaps it anyway", v["after_evict"]["pte"] is False, str(v))
    else:
        check(f"{tag}: FADV_DONTNEED writes it back but keeps it mapped", v["after_evict"]["pte"] is True
              and v["after_evict"]["dirty"] is False, str(v))
    a.ok(f"fuse_reply {w['id']} 9")
    v["dma_ret"] = a.ok("finish 0")["ret"]
    v["after_dma"] = cache(a)
    check(f"{tag}: the DMA completion dirties the page", v["dma_ret"] == 1 and v["after_dma"]["dirty"] is True, str(v))
    v["fsync"] = a.ok("send 1 fsync 0")["ret"]
    v["after_fsync"] = dict(cache(a), disk=a.ok("disk_read 0 0")["value"], pread=a.ok("send 1 pread 0 0")["value"])
    v["kmsg"] = a.ok("kmsg_events")["events"]
    check(f"{tag}: fsync returns 0, no kernel message", v["fsync"] == 0 and v["kmsg"] == [], str(v))
    check(f"{tag}: the cache holds the DMA data", v["after_fsync"]["pread"] == 9, str(v))
    # FADV_DONTNEED writes the dirty pinned page back first, like the explicit fsync while pinned.  btrfs
    # then finds a dirty page it did not see dirtied (no page_mkwrite): its writeback queues the COW fixup
    # worker and leaves the page dirty.  Whether the same fsync's second write pass (after the worker ran)
    # writes it is a race (about 1 in 6 here); a later fsync always does.
    if kind == "btrfs" and (clean_while_pinned or evict == "dontneed"):
        v["first_fsync_wrote"] = v["after_fsync"]["disk"] == 9
        check(f"{tag}: the first fsync returns 0 whether or not it wrote (page left dirty, disk old)",
              v["first_fsync_wrote"] or (v["after_fsync"]["dirty"] is True and v["after_fsync"]["disk"] == 1), str(v))
        n, d = wait_disk(a, 0, 0, 9)
        v["further_fsyncs_until_on_disk"] = 0 if v["first_fsync_wrote"] else n
        check(f"{tag}: a later fsync writes it (after btrfs's writeback fixup)", d["value"] == 9, str(v))
    else:
        check(f"{tag}: fsync wrote the DMA data", v["after_fsync"]["disk"] == 9 and not v["after_fsync"]["dirty"],
              str(v))
    a.ok("send 1 munmap 0 1")
    a.ok("drop_caches")
    v["after_drop_caches"] = dict(cache(a), pread=a.ok("send 1 pread 0 0")["value"], disk=a.ok("disk_read 0 0")["value"])
    check(f"{tag}: after drop_caches the file reads the DMA data", v["after_drop_caches"]["pread"] == 9
          and v["after_drop_caches"]["disk"] == 9, str(v))
    probe(tag[5:], v)
    return a


# 4c. Glisse's case: O_DIRECT write to a file page that is cached and pinned
def glisse(kind, clean):
    tag = f"p4c: {kind} pinned page {'clean' if clean else 'dirty'}"
    a = Agent()
    a.ok(f"fs_make e {kind}")
    a.ok("file_create 0 e 2 full")
    a.ok("init 3 0")
    P = a.ok("spawn 0 1 2")["pid"]
    a.ok("send 0 mmap 0 2 rw shared file 0")
    a.ok("send 0 store 0 0 1")
    a.ok("send 0 fsync 0")
    pfn = a.ok(f"pagemap {P} 0 0")["pfn"]
    a.ok("kmsg_mark")
    a.ok("start 0 dio_read 0 0")
    w = a.ok("fuse_wait")
    if clean:
        a.ok("send 1 fsync 0")
    v = {"pinned": cache(a)}
    a.ok("send 1 mmap 1 1 rw private")
    a.ok("send 1 store 1 0 77")
    v["dio_write_ret"] = a.ok("send 1 dio_write_file 0 0 1 0")["ret"]
    pm = a.ok(f"pagemap {P} 0 0")
    v["after_dio_write"] = dict(cache(a), pte=pm["present"], pread=a.ok("send 1 pread 0 0")["value"],
                                disk=a.ok("disk_read 0 0")["value"])
    a.ok("send 2 mmap 2 1 r shared file 0")
    a.ok("send 2 load 2 0")
    v["new_mapping_is_pinned_page"] = a.ok(f"pagemap {P} 2 0")["pfn"] == pfn
    a.ok(f"fuse_reply {w['id']} 9")
    v["dma_ret"] = a.ok("finish 0")["ret"]
    v["after_dma"] = dict(cache(a), pread=a.ok("send 1 pread 0 0")["value"], load=a.ok("send 1 load 0 0")["value"],
                          disk=a.ok("disk_read 0 0")["value"])
    v["fsync"] = a.ok("send 1 fsync 0")["ret"]
    v["disk_after_fsync"] = a.ok("disk_read 0 0")["value"]
    if kind == "btrfs":
        v["further_fsyncs_until_on_disk"] = 0 if v["disk_after_fsync"] == 9 else wait_disk(a, 0, 0, 9)[0]
        v["disk_at_end"] = a.ok("disk_read 0 0")["value"]
    v["kmsg"] = a.ok("kmsg_events")["events"]
    check(f"{tag}: the O_DIRECT write succeeds", v["dio_write_ret"] == 4096, str(v))
    check(f"{tag}: the O_DIRECT data is on disk and read back", v["after_dio_write"]["disk"] == 77
          and v["after_dio_write"]["pread"] == 77, str(v))
    check(f"{tag}: no stale-pagecache message, fsync 0", v["kmsg"] == [] and v["fsync"] == 0, str(v))
    if kind == "btrfs":
        check(f"{tag}: btrfs keeps the pinned page cached and mapped (buffered write into it)",
              v["after_dio_write"]["cached"] and v["after_dio_write"]["pte"] and v["new_mapping_is_pinned_page"], str(v))
        check(f"{tag}: the DMA lands in the cached page: reads see it, then the disk (after btrfs's fixup)",
              v["after_dma"]["pread"] == 9 and v["after_dma"]["dirty"] and v["after_dma"]["disk"] == 77
              and v["disk_at_end"] == 9, str(v))
    else:
        check(f"{tag}: the pinned page is dropped from the page cache and unmapped",
              not v["after_dio_write"]["cached"] and not v["after_dio_write"]["pte"]
              and not v["new_mapping_is_pinned_page"], str(v))
        check(f"{tag}: the DMA lands in the orphan: lost", v["after_dma"]["pread"] == 77 and v["after_dma"]["load"] == 77
              and v["disk_after_fsync"] == 77, str(v))
    probe(tag[5:], v)
    return a


# 4d. btrfs O_DIRECT write with data checksums: buffered? (a mapped page of the file is updated in place)
def t_probe_btrfs_dio():
    v = {}
    for kind in BLOCK_KINDS:
        a = Agent()
        a.ok(f"fs_make e {kind}")
        a.ok("file_create 0 e 1 full")
        a.ok("init 1 0")
        P = a.ok("spawn 0")["pid"]
        a.ok("send 0 mmap 0 1 r shared file 0")
        a.ok("send 0 load 0 0")
        pfn = a.ok(f"pagemap {P} 0 0")["pfn"]
        a.ok("send 0 mmap 1 1 rw private")
        a.ok("send 0 store 1 0 55")
        ret = a.ok("send 0 dio_write_file 0 0 1 0")["ret"]
        pm = a.ok(f"pagemap {P} 0 0")
        v[kind] = dict(cache(a), ret=ret, same_page_mapped=pm["present"] and pm["pfn"] == pfn,
                       load=a.ok("send 0 load 0 0")["value"])
        a.cmd("shutdown")
        a.wait_exit()
        want = kind == "btrfs"
        check(f"p4d: {kind}: O_DIRECT write {'goes through' if want else 'bypasses'} the page cache "
              f"(mapped page {'updated in place' if want else 'invalidated'})",
              v[kind]["ret"] == 4096 and v[kind]["load"] == 55 and v[kind]["same_page_mapped"] == want
              and v[kind]["cached"] == want, str(v[kind]))
    probe("4d O_DIRECT write to a mapped, cached page", v)


# 4e. MADV_DONTNEED: file page stays cached; anon page is gone, an io_uring pin keeps the old one
def t_probe_dontneed():
    a = Agent()
    a.ok("fs_make e ext4")
    a.ok("file_create 0 e 1 full")
    a.ok("init 1 2")
    P = a.ok("spawn 0")["pid"]
    a.ok("send 0 mmap 0 1 rw shared file 0")
    a.ok("send 0 store 0 0 5")
    pfn = a.ok(f"pagemap {P} 0 0")["pfn"]
    v = {"ext4_madvise_ret": a.ok("send 0 madvise 0 1 dontneed")["ret"]}
    v["ext4_after"] = dict(cache(a), pte=a.ok(f"pagemap {P} 0 0")["present"])
    v["ext4_load"] = a.ok("send 0 load 0 0")["value"]
    v["ext4_same_page"] = a.ok(f"pagemap {P} 0 0")["pfn"] == pfn
    check("p4e: ext4 MAP_SHARED: MADV_DONTNEED unmaps, the page stays cached (dirty)",
          not v["ext4_after"]["pte"] and v["ext4_after"]["cached"] and v["ext4_after"]["dirty"], str(v))
    check("p4e: ext4: the next load refaults the same page", v["ext4_load"] == 5 and v["ext4_same_page"], str(v))
    a.ok("send 0 mmap 1 1 rw private")
    a.ok("send 0 store 1 0 5")
    a.ok("send 0 uring_setup 0")
    a.ok("send 0 uring_register 0 1 1")
    v["anon_madvise_ret"] = a.ok("send 0 madvise 1 1 dontneed")["ret"]
    v["anon_load"] = a.ok("send 0 load 1 0")["value"]
    v["anon_write_fixed"] = a.ok("send 0 write_fixed 0 0 1 0")["value"]
    a.ok("send 0 store 1 0 6")
    v["anon_write_fixed_after_store"] = a.ok("send 0 write_fixed 0 0 1 0")["value"]
    check("p4e: anon: the next load reads 0", v["anon_load"] == 0, str(v))
    check("p4e: anon: the io_uring pin keeps the old page (5)", v["anon_write_fixed"] == 5
          and v["anon_write_fixed_after_store"] == 5, str(v))
    probe("4e MADV_DONTNEED", v)
    return a


# 4f. O_DIRECT read of an uncached page into a buffer that is faulted in, or not yet: is the page cached after?
def t_probe_dio_read_caches():
    v = {}
    for kind in BLOCK_KINDS:
        for touched in (True, False):
            a = Agent()
            a.ok(f"fs_make e {kind}")
            a.ok("file_create 0 e 1 full")
            a.ok("init 1 0")
            a.ok("spawn 0")
            a.ok("send 0 mmap 0 1 rw private")
            if touched:
                a.ok("send 0 store 0 0 1")
            case = f"{kind} {'faulted-in' if touched else 'untouched'} buffer"
            v[case] = {"ret": a.ok("send 0 dio_read_file 0 0 0 0")["ret"], "cached": a.ok("cache_state 0 0")["cached"]}
            a.cmd("shutdown")
            a.wait_exit()
            want = kind == "btrfs" and not touched
            check(f"p4f: {case}: an O_DIRECT read {'leaves the page in' if want else 'bypasses'} the page cache",
                  v[case]["ret"] == 4096 and v[case]["cached"] is want, str(v[case]))
    probe("4f O_DIRECT read of an uncached page", v)


# 4g. a clean shmem page (instantiated by a read fault, never written): drop_caches and MADV_PAGEOUT take it
def t_probe_shmem_clean():
    a = Agent()
    a.ok("memfd_create 0 1")
    a.ok("memfd_create 1 1")
    a.ok("init 1 0")
    P = a.ok("spawn 0")["pid"]
    v = {}
    for f, written in ((0, False), (1, True)):
        a.ok(f"send 0 mmap {f} 1 rw shared file {f}")
        a.ok(f"send 0 {'store' if written else 'load'} {f} 0" + (" 9" if written else ""))
        pfn = a.ok(f"pagemap {P} {f} 0")["pfn"]
        w = {"dirty": a.ok(f"pageflags {pfn}")["dirty"]}
        w["pageout_ret"] = a.ok(f"send 0 madvise {f} 1 pageout")["ret"]
        w["cached_after_pageout"] = a.ok(f"cache_state {f} 0")["cached"]
        a.ok(f"send 0 load {f} 0")
        a.ok(f"send 0 munmap {f} 1")
        a.ok("drop_caches")
        w["cached_after_drop_caches"] = a.ok(f"cache_state {f} 0")["cached"]
        v["written" if written else "read-faulted"] = w
    check("p4g: a read-faulted shmem page is clean", v["read-faulted"]["dirty"] is False, str(v))
    check("p4g: MADV_PAGEOUT reclaims it, without swap", v["read-faulted"]["cached_after_pageout"] is False, str(v))
    check("p4g: drop_caches evicts it once unmapped", v["read-faulted"]["cached_after_drop_caches"] is False, str(v))
    check("p4g: a written shmem page stays through both", v["written"]["cached_after_pageout"] is True
          and v["written"]["cached_after_drop_caches"] is True, str(v))
    probe("4g clean and written shmem pages", v)
    return a


# ---------------------------------------------------------------------------------------------------------
# q. KSM, migration, another process's memory, uprobes (skipped where the kernel lacks the facility)

# ---------------------------------------------------------------------------------------------------------
# l. robustness: a held FUSE loop at exit, foreign mounts, DIR/agent.pid, --cleanup-only, numbers and bytes,
#    kill -9 of the agent and of a scenario process

def mountinfo_under(d):
    """mount points on or below d, from /proc/self/mountinfo (octal escapes undone)"""
    out = []
    with open("/proc/self/mountinfo") as f:
        for l in f:
            mp = l.split()[4].encode().decode("unicode_escape")
            if mp == d or mp.startswith(d + "/"):
                out.append(mp)
    return out


def procs_of(d):
    """live processes whose command line is an agent's on work directory d: the agent and its scenario
    processes (forked without exec, they keep its argv)"""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if d.encode() in argv and not pid_gone(int(p)):
            out.append(int(p))
    return out


def children_of(pid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid and not pid_gone(int(p)):
                        out.append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    return out


def in_flush(pid):
    """whether a thread of pid waits in the kernel's fuse_flush"""
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/stack") as f:
                if "fuse_flush" in f.read():
                    return True
    except OSError:
        pass
    return False


def wait_until(cond, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def agent_on(d, tag, extra=()):
    """a new agent on an existing work directory"""
    b = Agent.__new__(Agent)
    b.dir, b.buf, b.pids = d, b"", []
    b.err = open(os.path.join(TMP, f"{tag}.stderr"), "w")
    b.p = subprocess.Popen([AGENT, "--workdir", d, "--step-timeout-ms", "3000", *extra], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=b.err)
    return b


def cleanup_only(d):
    """runs the agent with --cleanup-only on d: (exit code, reply)"""
    p = subprocess.run([AGENT, "--workdir", d, "--cleanup-only"], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
    try:
        r = json.loads(p.stdout.decode().strip().split("\n")[-1])
    except (ValueError, IndexError):
        r = p.stdout.decode()
    return p.returncode, r


def rescue(d):
    """a test that failed may leave an agent's stale mount: remove it without the agent (abort, detach)"""
    for mp in reversed(mountinfo_under(d)):
        subprocess.run(["umount", "-l", mp], capture_output=True)


# l1. EOF or SIGTERM while the FUSE loop is held with an O_DIRECT write queued: the agent must not deadlock
def t_hold_exit(how):
    a = Agent()
    a.ok("init 1 0")
    P = a.ok("spawn 0")["pid"]
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 dio_open")
    a.ok("fuse_hold")
    a.ok("start 0 dio_write 0 0")
    a.ok("fuse_queued")
    if how == "EOF":
        a.p.stdin.close()
    else:
        a.p.send_signal(signal.SIGTERM)
    rc = a.wait_exit(10)
    check(f"l1: {how} while held: the agent exits", rc == (0 if how == "EOF" else 128 + signal.SIGTERM), str(rc))
    if rc is None:
        a.kill()
    check(f"l1: {how} while held: the scenario process is gone", wait_until(lambda: pid_gone(P)))
    check(f"l1: {how} while held: no mount left", not mountinfo_under(a.dir), str(mountinfo_under(a.dir)))
    check(f"l1: {how} while held: DIR holds only agent.log", sorted(os.listdir(a.dir)) == ["agent.log"],
          str(os.listdir(a.dir)))
    if rc is None:
        cleanup_only(a.dir)
        rescue(a.dir)
    return a


# l2. a mount on DIR/mnt, DIR/fs/NAME or DIR/tracing that the agent did not make is refused and left alone
def t_foreign_mounts():
    for rel in ("mnt", "fs/x", "tracing", "fs"):
        d = os.path.join(TMP, "foreign-" + rel.replace("/", "-"))
        mp = os.path.join(d, rel)
        os.makedirs(mp)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mp], check=True)
        with open(os.path.join(mp, "keep"), "w") as f:
            f.write("not an agent's\n")
        try:
            for extra, what in (((), "an agent"), (("--cleanup-only",), "a cleanup run")):
                p = subprocess.run([AGENT, "--workdir", d, *extra], stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=10)
                out = p.stdout.decode().strip()
                try:
                    r = json.loads(out)
                except ValueError:
                    r = {}
                check(f"l2: {what} refuses a tmpfs on DIR/{rel} holding a file", p.returncode == 2 and
                      r.get("ok") is False and "did not make" in r.get("error", ""), out)
                check(f"l2: {what} leaves it mounted, with its file", mounted(mp) and
                      os.path.isfile(os.path.join(mp, "keep")))
            check(f"l2: DIR/{rel}: no agent.pid left", not os.path.exists(os.path.join(d, "agent.pid")))
        finally:
            subprocess.run(["umount", mp])


# l3. DIR/agent.pid: a live agent's DIR is refused by a second agent and by a cleanup run; removed at exit
def t_pidfile():
    a = Agent()
    a.ok("hello")
    path = os.path.join(a.dir, "agent.pid")
    with open(path) as f:
        fields = f.read().split()
    with open(f"/proc/{a.p.pid}/stat") as f:
        start = f.read().rsplit(")", 1)[1].split()[19]
    check("l3: DIR/agent.pid holds the agent's pid and start time", fields == [str(a.p.pid), start],
          f"{fields} {a.p.pid} {start}")
    b = agent_on(a.dir, "pidfile2")
    rc = b.wait_exit(10)
    try:
        r = json.loads(b.line(1))
    except Exception:
        r = {}
    check("l3: a second agent on the same DIR is refused", rc == 2 and "in use by a live agent" in r.get("error", ""),
          f"{rc} {r}")
    rc, r = cleanup_only(a.dir)
    check("l3: a cleanup run on a live agent's DIR is refused", rc == 2 and "in use" in str(r), f"{rc} {r}")
    check("l3: the live agent keeps its mount and works", mounted(os.path.join(a.dir, "mnt")) and
          a.cmd("hello").get("ok") is True)
    with open(path) as f:
        check("l3: and its agent.pid", f.read().split() == fields)
    a.ok("shutdown")
    a.wait_exit()
    check("l3: shutdown removes agent.pid", sorted(os.listdir(a.dir)) == ["agent.log"], str(os.listdir(a.dir)))
    # a dead owner's agent.pid (a pid that is gone) does not stop anyone
    with open(path, "w") as f:
        f.write("999999999 1\n")
    rc, r = cleanup_only(a.dir)
    check("l3: a cleanup run on a dead owner's DIR works", rc == 0 and r == {"ok": True, "cleanup_only": True},
          f"{rc} {r}")
    check("l3: and removes agent.pid", sorted(os.listdir(a.dir)) == ["agent.log"], str(os.listdir(a.dir)))
    return a


# l4. --cleanup-only after a SIGKILLed agent with file systems, a FUSE request, KSM changed, a memory block
def t_cleanup_only():
    before = ksm_settings()
    a = fs_busy_agent()
    ksm = a.ok("hello").get("ksm")
    if ksm:
        a.ok("send 1 mmap 9 1 rw private")
        a.ok("send 1 madvise 9 1 mergeable")
        a.ok("ksm_merge")
    a.p.kill()
    a.p.wait()
    check("l4: PDEATHSIG ends the scenario processes", wait_until(lambda: not procs_of(a.dir)), str(procs_of(a.dir)))
    check("l4: SIGKILL leaves the mounts", len(mountinfo_under(a.dir)) == 5, str(mountinfo_under(a.dir)))
    # a memory block recorded as being offlined (here one that is online: nothing to do but forget it)
    blocks = sorted(x for x in os.listdir("/sys/devices/system/memory") if x.startswith("memory")
                    and sysfs(f"/sys/devices/system/memory/{x}/state") == "online") \
        if os.path.isdir("/sys/devices/system/memory") else []
    if blocks:
        with open(os.path.join(a.dir, "memory.offline"), "w") as f:
            f.write(blocks[-1][len("memory"):] + "\n")
    rc, r = cleanup_only(a.dir)
    check("l4: --cleanup-only exits 0", rc == 0 and r == {"ok": True, "cleanup_only": True}, f"{rc} {r}")
    check("l4: no mount left in DIR", not mountinfo_under(a.dir), str(mountinfo_under(a.dir)))
    check("l4: no loop device left on DIR", not loops_under(a.dir), str(loops_under(a.dir)))
    check("l4: DIR holds only agent.log", sorted(os.listdir(a.dir)) == ["agent.log"], str(os.listdir(a.dir)))
    if ksm:
        check("l4: the KSM settings are restored", ksm_settings() == before, f"{before} {ksm_settings()}")
    if blocks:
        st = sysfs(f"/sys/devices/system/memory/{blocks[-1]}/state")
        check("l4: the recorded memory block is online", st == "online", str(st))
    rc, r = cleanup_only(a.dir)
    check("l4: a second cleanup run has nothing to do", rc == 0 and sorted(os.listdir(a.dir)) == ["agent.log"],
          f"{rc} {r} {os.listdir(a.dir)}")
    b = agent_on(a.dir, "cleanup-only")
    check("l4: an agent starts on the cleaned DIR", b.cmd("hello").get("ok") is True)
    return b


# l5. numbers are decimal; a line with a NUL or another non-printable byte is a bad command
def raw_reply(a, raw):
    a.p.stdin.write(raw + b"\n")
    a.p.stdin.flush()
    t = a.line()
    try:
        return json.loads(t), t
    except ValueError:
        return {}, t


def t_numbers():
    a = Agent()
    for raw in [b"hello\0junk", b"hello\0", b"hel\x01lo", b"hello\x7f", b"hello \xc3\xa9"]:
        d, t = raw_reply(a, raw)
        check(f"l5: {raw!r} is a bad command", d.get("ok") is False and "bad command" in d.get("error", ""), t)
    for b in ["init 010 1", "init 0x2 1", "init 2 00", "init +2 1", "init -2 1", "init 2 1e0", "init 2 0x0"]:
        d = a.cmd(b)
        check(f"l5: {b!r} is a bad command", d.get("ok") is False and "bad command" in d.get("error", ""), str(d))
    a.cmd("init 2 1")  # (an agent that took one of the above is inited already)
    a.ok("spawn 0")
    a.ok("send 0 mmap 0 1 rw private")
    for b in ["send 0 store 0 0 0x41", "send 0 store 0 0 010", "send 0 store 0 00 1", "send 0 store 0 1 -0",
              "send 00 load 0 0", "pipe_write 0 0x41"]:
        d = a.cmd(b)
        check(f"l5: {b!r} is a bad command", d.get("ok") is False and "bad command" in d.get("error", ""), str(d))
    check("l5: nothing was stored", a.cmd("send 0 load 0 0") == {"ok": True, "value": 0}
          and a.cmd("send 0 load 0 1") == {"ok": True, "value": 0})
    d, t = raw_reply(a, b"send 0 store 0 0 7\0x")
    check("l5: a worker command with a NUL is a bad command", d.get("ok") is False and "bad command" in
          d.get("error", ""), t)
    check("l5: the line with a NUL stored nothing", a.cmd("send 0 load 0 0") == {"ok": True, "value": 0})
    check("l5: 0 and plain decimals still work", a.cmd("send 0 store 0 0 41") == {"ok": True}
          and a.cmd("send 0 load 0 0") == {"ok": True, "value": 41})
    check("l5: a tab and a CR are white space", a.cmd("send\t0 load 0 0\r") == {"ok": True, "value": 41})
    return a


# l6. kill -9 of the agent, or of a scenario process, while an O_DIRECT write is held in flight (fuse_hold) or
#     while io_uring pins a page; nothing may stay behind
KILL_RUNS = int(os.environ.get("PINLAB_KILL_RUNS", "5"))
kill_stats = {}


def kill_once(target, pin, i):
    a = Agent()
    try:
        return kill_run(a, target, pin, i)
    except BaseException:
        if a.p.poll() is None:
            a.kill()
        wait_until(lambda: not procs_of(a.dir))
        cleanup_only(a.dir)
        rescue(a.dir)
        raise


def kill_run(a, target, pin, i):
    fs = i == 0 and pin == "uring"  # a block file system in one run per kind, tmpfs in all
    if fs:
        a.ok("fs_make e ext4")
        a.ok("file_create 1 e 1 full")
    a.ok("fs_make t tmpfs")
    a.ok("file_create 0 t 1 full")
    a.ok("init 3 0")
    P = a.ok("spawn 0 1")["pid"]
    C = a.ok("send 1 fork 2")["pid"]  # a grandchild: dies with P (PDEATHSIG)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 store 0 0 5")
    a.ok("send 0 mmap 1 1 rw shared file 0")
    a.ok("send 0 store 1 0 6")
    if pin == "dio":
        a.ok("send 0 dio_open")
        a.ok("fuse_hold")
        a.ok("start 0 dio_write 0 0")
        a.ok("fuse_queued")
    else:
        a.ok("send 0 uring_setup 0")
        if a.cmd("send 0 uring_register 0 0 1") != {"ok": True, "ret": 0}:
            raise AssertionError("uring_register failed")
        a.ok("send 0 uring_setup 1")
        if a.cmd("send 0 uring_register 1 1 1") != {"ok": True, "ret": 0}:  # a tmpfs MAP_SHARED page
            raise AssertionError("uring_register of the tmpfs page failed")
    tag = f"l6: kill -9 {target} during {pin} #{i}"
    ok = True
    if target == "agent":
        os.kill(a.p.pid, signal.SIGKILL)
        a.p.wait()
    else:
        os.kill(P, signal.SIGKILL)
        if pin == "dio" and i % 2 == 0:
            # once the kill has taken effect the kernel has withdrawn the unread WRITE and the dying task waits
            # for its FLUSH, which the held loop does not read: release it then (released earlier, the loop
            # would receive the WRITE, which then waits for a fuse_reply)
            ok &= check(f"{tag}: the killed task waits in fuse_flush", wait_until(lambda: in_flush(P) or pid_gone(P)))
            ok &= check(f"{tag}: fuse_release", a.cmd("fuse_release") == {"ok": True})
            d = a.cmd("finish 0")
            ok &= check(f"{tag}: the started write reports the death", d == {"ok": False, "error": "died",
                                                                              "signal": 9}, str(d))
        elif pin == "uring":
            d = a.cmd("send 0 load 0 0")
            ok &= check(f"{tag}: the channel reports the death", d == {"ok": False, "error": "died",
                                                                        "signal": 9}, str(d))
        ok &= check(f"{tag}: the agent still works", a.cmd("hello").get("ok") is True)
        a.p.stdin.close()  # EOF (for odd dio runs while the loop is still held)
        rc = a.wait_exit(10)
        ok &= check(f"{tag}: the agent exits 0 at EOF", rc == 0, str(rc))
        if rc is None:
            a.kill()
    ok &= check(f"{tag}: no process left", wait_until(lambda: not procs_of(a.dir) and pid_gone(P) and pid_gone(C)
                                                     and not children_of(a.p.pid)),
                f"{procs_of(a.dir)} {children_of(a.p.pid)}")
    if target != "agent":
        ok &= check(f"{tag}: no mount left", not mountinfo_under(a.dir), str(mountinfo_under(a.dir)))
    rc, r = cleanup_only(a.dir)
    ok &= check(f"{tag}: cleanup run exits 0", rc == 0, f"{rc} {r}")
    ok &= check(f"{tag}: no mount left after the cleanup run", not mountinfo_under(a.dir), str(mountinfo_under(a.dir)))
    ok &= check(f"{tag}: no loop device left", not loops_under(a.dir), str(loops_under(a.dir)))
    ok &= check(f"{tag}: DIR holds only agent.log", sorted(os.listdir(a.dir)) == ["agent.log"], str(os.listdir(a.dir)))
    if not ok:
        rescue(a.dir)
    return ok


def t_kills():
    for target in ("agent", "scenario"):
        for pin in ("dio", "uring"):
            good = 0
            for i in range(KILL_RUNS):
                try:
                    good += bool(kill_once(target, pin, i))
                except AssertionError as e:
                    check(f"l6: kill -9 {target} during {pin} #{i}", False, str(e))
            kill_stats[(target, pin)] = good
            print(f"KILLS target={target} pin={pin} runs={KILL_RUNS} clean={good}")
            sys.stdout.flush()


KSM_KNOBS = ["run", "pages_to_scan", "sleep_millisecs", "smart_scan"]


def ksm_settings():
    v = {}
    for k in KSM_KNOBS:
        try:
            with open("/sys/kernel/mm/ksm/" + k) as f:
                v[k] = f.read().strip()
        except OSError:
            pass
    return v


def skip(name, why):
    print(f"SKIP {name}: {why}")
    sys.stdout.flush()


def t_ksm():
    a = Agent()
    if not a.ok("hello").get("ksm"):
        skip("q1", "no KSM (/sys/kernel/mm/ksm/run not writable)")
        return a
    before = ksm_settings()
    P = setup(a)
    # slot s holds two identical pages (byte 0 of each is 100+s); pinning and vmsplice start at page 0:
    # slot 0 plain, slot 1 page 0 pinned by io_uring, slot 2 page 0 vmspliced, slot 3 for a store afterwards
    for sl in range(4):
        a.ok(f"send 0 mmap {sl} 2 rw private")
        a.ok(f"send 0 store {sl} 0 {100 + sl}")
        a.ok(f"send 0 store {sl} 2 {100 + sl}")
        check(f"q1: madvise mergeable slot {sl}", a.cmd(f"send 0 madvise {sl} 2 mergeable") == {"ok": True, "ret": 0})
    a.ok("send 0 uring_setup 0")
    check("q1: uring_register", a.cmd("send 0 uring_register 0 1 1") == {"ok": True, "ret": 0})
    check("q1: vmsplice", a.cmd("send 0 vmsplice 0 2 1") == {"ok": True, "ret": 4096})
    m = a.cmd("ksm_merge")
    check("q1: ksm_merge", m.get("ok") is True and m.get("full_scans", 0) >= 3, str(m))
    pm = {sl: [a.ok(f"pagemap {P} {sl} {pg}") for pg in (0, 1)] for sl in range(4)}
    for sl in (0, 3):
        x, y = pm[sl]
        check(f"q1: identical pages of slot {sl} merged (same PFN, KSM)", x["pfn"] == y["pfn"] and x["ksm"]
              and y["ksm"] and not x["exclusive"], f"{x} {y}")
    for sl, what in ((1, "pinned"), (2, "vmspliced")):
        x, y = pm[sl]
        check(f"q1: a {what} page is not merged, nor its twin", not x["ksm"] and not y["ksm"] and x["pfn"] != y["pfn"],
              f"{x} {y}")
    st = a.cmd(f"ksm_stat {P}")
    check("q1: ksm_stat counts the merged pages", st.get("ok") is True and st.get("merging_pages") == 4, str(st))
    check("q1: ksmd stopped again after ksm_merge", ksm_settings().get("run") == "0", str(ksm_settings()))
    a.ok("send 0 store 3 0 9")
    w, t = a.ok(f"pagemap {P} 3 0"), a.ok(f"pagemap {P} 3 1")
    check("q1: a store breaks the sharing (new PFN, not KSM)", w["pfn"] != pm[3][0]["pfn"] and not w["ksm"]
          and w["exclusive"], f"{pm[3][0]} {w}")
    check("q1: the twin keeps the KSM page", t["pfn"] == pm[3][0]["pfn"] and t["ksm"], f"{pm[3][0]} {t}")
    check("q1: madvise unmergeable", a.cmd("send 0 madvise 0 2 unmergeable") == {"ok": True, "ret": 0})
    u = [a.ok(f"pagemap {P} 0 {pg}") for pg in (0, 1)]
    check("q1: unmergeable gives private copies", not u[0]["ksm"] and not u[1]["ksm"] and u[0]["pfn"] != u[1]["pfn"],
          str(u))
    # once the pin is gone, the pages merge
    a.ok("send 0 uring_unregister 0")
    m2 = a.ok("ksm_merge")
    x, y = a.ok(f"pagemap {P} 1 0"), a.ok(f"pagemap {P} 1 1")
    check("q1: after uring_unregister the pair merges", x["pfn"] == y["pfn"] and x["ksm"], f"{m2} {x} {y}")
    probe("q1 KSM", {"merge": m, "pinned": pm[1], "vmspliced": pm[2], "after_store": w})
    a.ok("shutdown")
    a.wait_exit()
    check("q1: shutdown restores the KSM settings", ksm_settings() == before, f"{before} {ksm_settings()}")
    # a SIGKILLed agent leaves them changed; the next agent on the same DIR puts them back
    b = Agent()
    setup(b)
    b.ok("send 0 mmap 0 1 rw private")
    b.ok("send 0 madvise 0 1 mergeable")
    b.ok("ksm_merge")
    changed = ksm_settings()
    b.p.kill()
    b.p.wait()
    check("q1: ksm_merge changes the scan settings", changed != before, str(changed))
    c = Agent.__new__(Agent)
    c.dir, c.buf, c.pids = b.dir, b"", []
    c.err = open(os.path.join(TMP, "ksm-stale.stderr"), "w")
    c.p = subprocess.Popen([AGENT, "--workdir", c.dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=c.err)
    c.ok("hello")
    check("q1: a new agent on the same DIR restores what a SIGKILLed one left", ksm_settings() == before,
          f"{before} {ksm_settings()}")
    return c


def t_migrate():
    a = Agent()
    nodes = a.cmd("hello").get("numa_nodes", 1)
    if nodes < 2 and os.environ.get("PINLAB_MIGRATE_OFFLINE") != "1":
        # With one node only memory-block offlining migrates a chosen page; it moves 128 MiB of other pages
        # and fills the kernel log, so it runs only when asked for.
        skip("q2 migrate", "one NUMA node: set PINLAB_MIGRATE_OFFLINE=1 to test migration by memory-block offline")
        return a
    P = setup(a)
    a.ok("send 0 mmap 0 1 rw private")
    a.ok("send 0 store 0 0 1")
    a.ok("send 0 mmap 1 1 rw private")
    a.ok("send 0 store 1 0 2")
    a.ok("send 0 mmap 2 1 rw private")
    a.ok("send 0 store 2 0 3")
    a.ok("send 0 uring_setup 0")
    a.ok("send 0 uring_register 0 0 1")
    check("q2: vmsplice", a.cmd("send 0 vmsplice 0 1 1") == {"ok": True, "ret": 4096})
    d = a.cmd(f"migrate {P} 0 0 bogus")
    check("q2: bad method is a bad command", d.get("ok") is False, str(d))
    d = a.cmd(f"migrate {P} 5 0")
    check("q2: migrate of a page not present fails", d.get("ok") is False, str(d))
    v = {}
    for slot, what in ((0, "pinned"), (1, "vmspliced"), (2, "unpinned")):
        r = a.cmd(f"migrate {P} {slot} 0")
        v[what] = r
        if r.get("ok") is not True:
            skip(f"q2 {what}", str(r))
            continue
        if r["method"] == "offline" and r["ret"] == -16:
            skip(f"q2 {what}", f"memory block {r.get('block')} holds unmovable memory (EBUSY): nothing migrated")
            continue
        if what == "unpinned":
            check("q2: an unpinned page is migrated (new PFN)", r["moved"] is True, str(r))
        else:
            check(f"q2: a {what} page is not migrated", r["moved"] is False and r["ret"] != 0, str(r))
    check("q2: data survive", [a.ok(f"send 0 load {s} 0")["value"] for s in range(3)] == [1, 2, 3])
    probe("q2 migrate", v)
    return a


def t_remote():
    a = Agent()
    a.ok("fs_make t tmpfs")
    a.ok("file_create 0 t 2 full")
    P = setup(a)
    a.ok("send 0 pwrite 0 0 65")
    a.ok("send 0 pwrite 0 2 65")
    a.ok("send 0 mmap 0 2 r private file 0")
    a.ok("send 0 mmap 1 2 r shared file 0")
    a.ok("send 0 mmap 2 1 rw private")
    a.ok("send 0 load 0 0")
    a.ok("send 0 load 1 0")
    a.ok("send 0 store 2 0 5")
    check("q3: mem_read", a.cmd(f"mem_read {P} 0 0") == {"ok": True, "ret": 1, "value": 65})
    check("q3: mem_write into a read-only private file mapping", a.cmd(f"mem_write {P} 0 0 77") == {"ok": True, "ret": 1})
    check("q3: the process sees it", a.cmd("send 1 load 0 0") == {"ok": True, "value": 77})
    check("q3: the file does not", a.cmd("file_read 0 0") == {"ok": True, "ret": 1, "value": 65})
    pm = a.ok(f"pagemap {P} 0 0")
    check("q3: the page is now an anonymous copy", pm["anon"] and pm["exclusive"], str(pm))
    check("q3: mem_write into a read-only shared mapping: EIO", a.cmd(f"mem_write {P} 1 0 77") == {"ok": True, "ret": -5})
    check("q3: vm_write into a read-only mapping: EFAULT", a.cmd(f"vm_write {P} 0 2 88") == {"ok": True, "ret": -14})
    check("q3: vm_write into a writable one", a.cmd(f"vm_write {P} 2 0 88") == {"ok": True, "ret": 1})
    check("q3: vm_read", a.cmd(f"vm_read {P} 2 0") == {"ok": True, "ret": 1, "value": 88})
    check("q3: ptrace_poke into a read-only private mapping", a.cmd(f"ptrace_poke {P} 0 2 84") == {"ok": True, "ret": 0})
    check("q3: ptrace_peek", a.cmd(f"ptrace_peek {P} 0 2") == {"ok": True, "ret": 0, "value": 84})
    check("q3: the process sees the poke", a.cmd("send 0 load 0 2") == {"ok": True, "value": 84})
    check("q3: the file does not", a.cmd("file_read 0 2") == {"ok": True, "ret": 1, "value": 65})
    check("q3: ptrace_poke into a read-only shared mapping: EIO", a.cmd(f"ptrace_poke {P} 1 2 84") == {"ok": True, "ret": -5})
    check("q3: the process still runs after ptrace", a.cmd("send 0 load 2 0") == {"ok": True, "value": 88}
          and a.cmd(f"alive {P}") == {"ok": True, "alive": True})
    d = a.cmd("mem_write 999999999 0 0 1")
    check("q3: mem_write to a process that is gone: ENOENT", d == {"ok": True, "ret": -2}, str(d))
    return a


def t_uprobe():
    a = Agent()
    if not a.ok("hello").get("uprobes"):
        skip("q4", "no uprobes (tracefs or CONFIG_UPROBE_EVENTS missing)")
        return a
    a.ok("fs_make t tmpfs")
    a.ok("file_create 0 t 2 full")
    a.ok("memfd_create 1 2")
    P = setup(a)
    a.ok("send 0 pwrite 0 2 65")
    a.ok("send 0 pwrite 1 2 65")
    a.ok("send 0 mmap 0 2 r private file 0")
    a.ok("send 0 mmap 1 2 r shared file 0")
    a.ok("send 0 load 0 2")
    a.ok("send 0 load 1 2")
    C = a.ok("send 0 fork 2")["pid"]
    check("q4: uprobe_add", a.cmd("uprobe_add 0 2") == {"ok": True, "ret": 0})
    check("q4: a second one on the same cell is refused", a.cmd("uprobe_add 0 2").get("ok") is False)
    check("q4: a private mapping reads the breakpoint (0xcc)", a.cmd("send 0 load 0 2") == {"ok": True, "value": 0xcc})
    pm = a.ok(f"pagemap {P} 0 1")
    check("q4: in an anonymous copy", pm["anon"] and pm["exclusive"], str(pm))
    check("q4: a shared mapping does not", a.cmd("send 0 load 1 2") == {"ok": True, "value": 65})
    check("q4: nor the file", a.cmd("file_read 0 2") == {"ok": True, "ret": 1, "value": 65})
    check("q4: a child forked before sees it", a.cmd("send 2 load 0 2") == {"ok": True, "value": 0xcc})
    a.ok("send 0 mmap 3 2 r private file 0")
    check("q4: a mapping made after sees it", a.cmd("send 0 load 3 2") == {"ok": True, "value": 0xcc})
    check("q4: uprobe_add on a memfd", a.cmd("uprobe_add 1 2") == {"ok": True, "ret": 0})
    a.ok("send 0 mmap 4 2 r private file 1")
    check("q4: memfd mapping sees it", a.cmd("send 0 load 4 2") == {"ok": True, "value": 0xcc})
    check("q4: uprobe_remove", a.cmd("uprobe_remove 0 2") == {"ok": True, "ret": 0})
    check("q4: the original byte is back", a.cmd("send 0 load 0 2") == {"ok": True, "value": 65}
          and a.cmd("send 0 load 3 2") == {"ok": True, "value": 65})
    check("q4: removing it twice fails", a.cmd("uprobe_remove 0 2").get("ok") is False)
    # the memfd probe is left for cleanup
    a.ok("shutdown")
    a.wait_exit()
    check("q4: no uprobe and no tracefs mount left", not os.path.exists(os.path.join(a.dir, "tracing"))
          and not uprobes_of(a.dir), str(uprobes_of(a.dir)))
    return a


def uprobes_of(d):
    for base in ("/sys/kernel/tracing", os.path.join(d, "tracing")):
        try:
            with open(os.path.join(base, "uprobe_events")) as f:
                return [l for l in f if "pinlab_" in l]
        except OSError:
            pass
    return []


try:
    run("startup", t_startup)
    run("a", t_basic)
    run("b", t_uring_fork)
    run("c", t_vmsplice)
    run("d", t_dontfork)
    run("e", t_fuse)
    run("e2", t_timeout)
    run("f", t_fixed)
    run("f2", t_batch)
    run("g: shutdown", t_shutdown)
    run("g: SIGTERM", t_sigterm)
    run("g: EOF", t_eof)
    run("stale", t_stale)
    run("h", t_fs)
    run("i", t_kmsg)
    run("j: shutdown", t_fs_shutdown)
    run("j: SIGTERM", lambda: t_fs_signal(signal.SIGTERM, "SIGTERM"))
    run("j: SIGINT", lambda: t_fs_signal(signal.SIGINT, "SIGINT"))
    run("j: SIGHUP", lambda: t_fs_signal(signal.SIGHUP, "SIGHUP"))
    run("j: EOF", t_fs_eof)
    run("j: stale", t_fs_stale)
    run("j: startup", t_fs_startup)
    run("l1: EOF", lambda: t_hold_exit("EOF"))
    run("l1: SIGTERM", lambda: t_hold_exit("SIGTERM"))
    run("l2", t_foreign_mounts)
    run("l3", t_pidfile)
    run("l4", t_cleanup_only)
    run("l5", t_numbers)
    run("l6", t_kills)
    run("k", t_own_io)
    run("p4a", t_probe_register)
    for kind in BLOCK_KINDS:
        for evict in ("pageout", "dontneed"):
            for clean in (False, True):
                run(f"p4b {kind} {evict} {clean}", lambda: kara(kind, evict, clean))
    for kind in BLOCK_KINDS:
        for clean in (True, False):
            run(f"p4c {kind} {clean}", lambda: glisse(kind, clean))
    run("p4d", t_probe_btrfs_dio)
    run("p4e", t_probe_dontneed)
    run("p4f", t_probe_dio_read_caches)
    run("p4g", t_probe_shmem_clean)
    run("q1", t_ksm)
    run("q2", t_migrate)
    run("q3", t_remote)
    run("q4", t_uprobe)
finally:
    leftovers = []
    with open("/proc/mounts") as f:
        leftovers = [l.split()[1] for l in f if l.split()[1].startswith(TMP)]
    check("no mount left under the test directory", not leftovers, str(leftovers))
    check("no loop device left on the test directory", not loops_under(TMP), str(loops_under(TMP)))
    if not leftovers:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print(f"(kept {TMP})")

if failures:
    print("failed: " + ", ".join(failures))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PYEOF
