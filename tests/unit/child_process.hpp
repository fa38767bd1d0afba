// Running part of a test in a forked child (Linux): what the child returns or throws comes
// back as text through a pipe, with how it ended and how much its resident memory grew at
// its peak, for the tests that kill savers and measure what a hostile file costs. The child
// must not use the thread pool (its workers are not forked): loaders, save, load and export.
#pragma once

#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sanenet_test {

struct child_outcome {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;
    std::string text;  // what the function returned, or "<kind>: <what()>" for an exception
    long long peak_growth_kb = -1;  // VmHWM at the end minus VmRSS at the start; -1 if unknown
};

namespace detail {

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), -1 if absent.
inline long long status_kb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(field) + ":";
    while (std::getline(in, line))
        if (line.rfind(prefix, 0) == 0) return std::atoll(line.c_str() + prefix.size());
    return -1;
}

// Resets VmHWM to the current resident size (Linux >= 4.0); false where that is not possible.
inline bool reset_peak_rss() {
    std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
    if (!f) return false;
    const bool ok = std::fputs("5", f) >= 0;
    return std::fclose(f) == 0 && ok;
}

inline void write_all_fd(int fd, const std::string& s) {
    for (std::size_t done = 0; done < s.size();) {
        const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace detail

// Runs f() -> std::string in a child and waits for it. The child exits 0 after a return, 3
// after an sn::error, 4 after another exception.
template <class F>
child_outcome run_in_child(F&& f) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        const bool measured = detail::reset_peak_rss();
        const long long before = detail::status_kb("VmRSS");
        std::string text;
        int code = 0;
        try {
            text = f();
        } catch (const sanenet::io_error& e) {
            text = std::string("io_error: ") + e.what();
            code = 3;
        } catch (const sanenet::argument_error& e) {
            text = std::string("argument_error: ") + e.what();
            code = 3;
        } catch (const sanenet::error& e) {
            text = std::string("sn::error: ") + e.what();
            code = 3;
        } catch (const std::exception& e) {
            text = std::string("std::exception: ") + e.what();
            code = 4;
        }
        const long long peak = measured ? detail::status_kb("VmHWM") : -1;
        detail::write_all_fd(fds[1], std::to_string(peak < 0 || before < 0 ? -1 : peak - before) + "\n" + text);
        ::_exit(code);
    }
    ::close(fds[1]);
    std::string all;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        all.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    child_outcome out;
    if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
    const std::size_t nl = all.find('\n');
    if (nl != std::string::npos) {
        out.peak_growth_kb = std::atoll(all.substr(0, nl).c_str());
        out.text = all.substr(nl + 1);
    }
    return out;
}

}  // namespace sanenet_test
