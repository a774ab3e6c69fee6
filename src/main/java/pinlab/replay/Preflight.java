package pinlab.replay;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What replay needs from the machine, each missing piece named with how to get it. */
final class Preflight {
    private Preflight() {}

    static List<String> missing() {
        List<String> out = new ArrayList<>();
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            out.add("Linux: replay runs scenarios on the machine's own Linux kernel");
            return out;
        }
        if (!isRoot()) {
            out.add("root: /proc/PID/pagemap PFNs and /proc/kpageflags need CAP_SYS_ADMIN (run as root)");
        }
        if (!run("gcc", "--version")) {
            out.add("gcc: apt-get install gcc");
        }
        if (!run("pkg-config", "--version")) {
            out.add("pkg-config: apt-get install pkg-config");
        } else {
            if (!run("pkg-config", "--exists", "liburing")) {
                out.add("liburing: apt-get install liburing-dev");
            }
            if (!run("pkg-config", "--exists", "fuse3")) {
                out.add("libfuse3: apt-get install fuse3 libfuse3-dev");
            }
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            out.add("/dev/fuse: load the fuse module (modprobe fuse)");
        }
        if (!Files.isReadable(Path.of("/proc/self/pagemap"))) {
            out.add("/proc/self/pagemap: a kernel with CONFIG_PROC_PAGE_MONITOR");
        }
        if (!onPath("mkfs.ext4")) {
            out.add("mkfs.ext4: apt-get install e2fsprogs");
        }
        if (!onPath("mkfs.xfs")) {
            out.add("mkfs.xfs: apt-get install xfsprogs");
        }
        if (!onPath("mkfs.btrfs")) {
            out.add("mkfs.btrfs: apt-get install btrfs-progs");
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            out.add("/dev/loop-control: load the loop module (modprobe loop); the agent puts ext4, xfs and btrfs"
                    + " on loop devices");
        }
        return out;
    }

    /** Whether an executable named tool is on PATH or in /usr/sbin or /sbin (where the agent also looks). */
    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        String dirs = (path == null ? "" : path + File.pathSeparator) + "/usr/sbin" + File.pathSeparator + "/sbin";
        for (String d : dirs.split(File.pathSeparator, -1)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isRoot() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (l.startsWith("Uid:")) {
                    java.util.Scanner sc = new java.util.Scanner(l.substring(4));
                    sc.next();
                    return sc.hasNext() && sc.next().equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static boolean run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(
                    ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
