/*
 * guest_init.c - /init of the AVX-512 emulator's initramfs (see run.sh).
 *
 * Runs as PID 1 inside the bochs guest. It mounts /proc, /sys and /dev
 * (devtmpfs) so that the program under test sees a normal-looking system,
 * reads the command line to run from /emu/argv (NUL-separated, written by
 * run.sh), runs it with cwd /work, then prints
 *     @@EXIT <code>@@        (normal exit)
 *     @@SIGNAL <signo>@@     (killed by a signal)
 * on the console and powers the machine off.  Built with gcc -static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void say(const char *msg) {
    /* unbuffered write so markers can never be lost in a stdio buffer */
    ssize_t r = write(1, msg, strlen(msg));
    (void)r;
}

/* Wait until everything written to the console has left the UART: the
   program's last lines would otherwise be lost when we power off. */
static void drain_console(void) {
    tcdrain(1);
    tcdrain(2);
}

static void power_off(void) {
    drain_console();
    sync();
    reboot(RB_POWER_OFF);
    /* if ACPI power-off is not available, halt instead */
    reboot(RB_HALT_SYSTEM);
    for (;;) pause();
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    char buf[256];

    mkdir("/proc", 0755);
    mkdir("/sys", 0755);
    mkdir("/dev", 0755);
    mkdir("/tmp", 01777);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);

    /* (re)attach stdio to the console; the kernel opened it already if
       /dev/console exists in the initramfs, this makes it certain. */
    int fd = open("/dev/console", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
        if (fd > 2) close(fd);
    }

    /* read argv */
    static char args[1 << 16];
    int afd = open("/emu/argv", O_RDONLY);
    if (afd < 0) { say("\n@@EMU-ERROR cannot open /emu/argv@@\n"); power_off(); }
    ssize_t n = read(afd, args, sizeof(args) - 1);
    close(afd);
    if (n <= 0) { say("\n@@EMU-ERROR empty /emu/argv@@\n"); power_off(); }
    args[n] = '\0';
    char *argv[1024];
    int argc = 0;
    for (ssize_t i = 0; i < n && argc < 1023; ) {
        argv[argc++] = &args[i];
        i += strlen(&args[i]) + 1;
    }
    argv[argc] = NULL;

    char *envp[] = {"PATH=/work:/bin", "HOME=/work", "TERM=dumb",
                    "TMPDIR=/tmp", "LANG=C", NULL};

    if (chdir("/work") != 0) say("\n@@EMU-WARNING chdir /work failed@@\n");

    say("\n@@START@@\n");
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        execve(argv[0], argv, envp);
        snprintf(buf, sizeof buf, "@@EMU-ERROR execve(%s): %s@@\n", argv[0], strerror(errno));
        say(buf);
        _exit(127);
    }
    int status = 0;
    for (;;) {
        /* PID 1 reaps every orphan; stop when our child is done */
        pid_t w = wait(&status);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) { status = 127 << 8; break; }
    }
    double t1 = now();
    drain_console();
    snprintf(buf, sizeof buf, "\n@@GUEST-TIME %.3f@@\n", t1 - t0);
    say(buf);
    if (WIFEXITED(status))
        snprintf(buf, sizeof buf, "@@EXIT %d@@\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "@@SIGNAL %d@@\n", WTERMSIG(status));
    else
        snprintf(buf, sizeof buf, "@@EXIT 127@@\n");
    say(buf);
    power_off();
    return 0;
}
