#!/usr/bin/env bash
# Self-test of the pinlab native agent on the running kernel.
#   native/test-agent.sh [AGENT]   (default: builds target/native/pinlab-agent first)
# Needs root (FUSE mount, PFNs in /proc/PID/pagemap, /proc/kpageflags), python3.
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
  echo "test-agent.sh: must run as root (FUSE mount, pagemap PFNs, kpageflags)" >&2
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
    check("a: hello", h.get("ok") is True and h.get("agent") == "pinlab-agent" and h.get("protocol") == 1
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


try:
    run("startup", t_startup)
    run("a", t_basic)
    run("b", t_uring_fork)
    run("c", t_vmsplice)
    run("d", t_dontfork)
    run("e", t_fuse)
    run("e2", t_timeout)
    run("f", t_fixed)
    run("g: shutdown", t_shutdown)
    run("g: SIGTERM", t_sigterm)
    run("g: EOF", t_eof)
    run("stale", t_stale)
finally:
    leftovers = []
    with open("/proc/mounts") as f:
        leftovers = [l.split()[1] for l in f if l.split()[1].startswith(TMP)]
    check("no mount left under the test directory", not leftovers, str(leftovers))
    if not leftovers:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print(f"(kept {TMP})")

if failures:
    print("failed: " + ", ".join(failures))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PYEOF
