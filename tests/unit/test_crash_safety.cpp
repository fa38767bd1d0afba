// Crash safety of the files sanenet writes (io/file.hpp write_file_atomically, through save,
// export_npy and the checkpoint writer of io/checkpoint.hpp): a saver SIGKILLed at random moments never leaves a damaged file or more than one
// temporary file; savers of different files in one folder, or of one file, do not disturb each
// other; a read-only directory, a full disk and a directory in the way are clear io_errors that
// keep the old file. Linux: forks, mount namespaces (skipped with a message where not allowed).
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "child_process.hpp"
#include "test_support.hpp"

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <csignal>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

// 99,978 parameters: a 400 KB model file and 400 KB of .npy files, so that kills land in writes.
using Net =
    sn::Network<sn::Classification<10>, NoDropout, sn::Input<384>, sn::Dense<256, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;

// Version v of the weights: parameter k is v + (k mod 1024) / 1024, exact in float, so every
// value says which version it belongs to.
float version_value(long v, std::size_t k) { return static_cast<float>(v) + static_cast<float>(k % 1024) / 1024.f; }

void set_version(Net& net, long v) {
    float* p = net.engine().params();
    for (std::size_t k = 0; k < net.engine().parameter_count(); ++k) p[k] = version_value(v, k);
}

// The version n parameters hold, or -1 if they mix versions or break the pattern.
long version_of(const float* p, std::size_t n) {
    if (n == 0) return -1;
    const long v = static_cast<long>(std::floor(p[0]));
    for (std::size_t k = 0; k < n; ++k)
        if (std::bit_cast<std::uint32_t>(p[k]) != std::bit_cast<std::uint32_t>(version_value(v, k))) return -1;
    return v;
}
long version_of(const Net& net) { return version_of(net.engine().params(), net.engine().parameter_count()); }

// A checkpoint of version v, written as sn::fit writes one (FitOptions::checkpoint): weights,
// optimizer state and update count all of version v, an 800 KB file whose parts must agree.
void write_checkpoint_of(const Net& net, long v, const fs::path& path) {
    sn::detail::run_state s{};  // {}: the shuffling stream's state has no initializers
    const std::size_t n = net.engine().parameter_count();
    s.snapshot.params.resize(n);
    s.snapshot.state1.resize(n);
    for (std::size_t k = 0; k < n; ++k) s.snapshot.params[k] = s.snapshot.state1[k] = version_value(v, k);
    s.snapshot.updates = static_cast<std::uint64_t>(v);
    sn::detail::write_checkpoint(path, net.engine(), s);
}

// The version of the checkpoint at path, read back by read_checkpoint; -1 if its weights, its
// optimizer state and its update count do not agree on one.
long checkpoint_version(const Net& net, const fs::path& path) {
    const sn::detail::run_state s = sn::detail::read_checkpoint(net.engine(), path);
    const long v = version_of(s.snapshot.params.data(), s.snapshot.params.size());
    const long moments = version_of(s.snapshot.state1.data(), s.snapshot.state1.size());
    return v == moments && s.snapshot.updates == static_cast<std::uint64_t>(v) ? v : -1;
}

// The version every value of an .npy file holds (it is some tensor, transposed or not), or -1.
long npy_version(const fs::path& p) {
    const bytes b = read_bytes(p);
    if (b.size() < 10 || b[0] != 0x93) return -1;
    const std::size_t header = b[8] | (static_cast<std::size_t>(b[9]) << 8);
    if (b.size() < 10 + header + 4 || (b.size() - 10 - header) % 4 != 0) return -1;
    long v = -2;
    for (std::size_t at = 10 + header; at < b.size(); at += 4) {
        const std::uint32_t u = b[at] | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
                                (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
        const long here = static_cast<long>(std::floor(std::bit_cast<float>(u)));
        if (v == -2) v = here;
        if (here != v) return -1;
    }
    return v;
}

const std::vector<std::string> npy_names = {"dense0_bias.npy", "dense0_weight.npy", "dense1_bias.npy", "dense1_weight.npy",
                                            "manifest.txt"};

bool is_temporary(const std::string& name) { return name.size() > 12 && name.substr(name.size() - 12) == ".sanenet-tmp"; }

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> n;
    for (const auto& e : fs::directory_iterator(dir)) n.push_back(e.path().filename().string());
    std::sort(n.begin(), n.end());
    return n;
}

// Progress of the saving child, in memory shared with the parent.
struct progress {
    std::atomic<long> started{0};  // the version being saved and exported
    std::atomic<long> saved{0};  // the last version whose save returned
    std::atomic<long> exported{0};  // the last version whose export returned
    std::atomic<long> checkpointed{0};  // the last version whose checkpoint write returned
};

// The saver: save version v, export it, write a checkpoint of it, for v = started + 1, ...
// until killed.
[[noreturn]] void saver(progress* shared, const fs::path& model, const fs::path& npy_dir, const fs::path& ckpt, long stop_after) {
    Net net{sn::Seed{1}};
    for (long n = 0; stop_after < 0 || n < stop_after; ++n) {
        const long v = shared->started.load() + 1;
        shared->started.store(v);
        set_version(net, v);
        net.save(model);
        shared->saved.store(v);
        sn::export_npy(net, npy_dir);
        shared->exported.store(v);
        write_checkpoint_of(net, v, ckpt);
        shared->checkpointed.store(v);
    }
    ::_exit(0);
}

struct killed_run {
    int kills = 0, mid_save = 0, mid_checkpoint = 0, problems = 0, most_temporaries = 0;
    std::string first_problem;
};

// Forks the saver at least `kills` times and SIGKILLs it after a random delay in
// [0, max_delay_us); after each kill checks the model file, the .npy files, the checkpoint and
// the temporary files. Goes on (up to 3 x kills) until at least kills / 10 kills have landed
// in a save and kills / 20 in a checkpoint write: a slow machine or a sanitizer build spends
// more of each child's life starting up.
killed_run kill_savers(const fs::path& dir, int kills, long max_delay_us) {
    const fs::path model = dir / "net.sanenet", npy_dir = dir / "npy", ckpt = dir / "net.ckpt";
    void* mem = ::mmap(nullptr, sizeof(progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem != MAP_FAILED);
    auto* shared = new (mem) progress;
    {
        Net first{sn::Seed{1}};
        set_version(first, 0);
        first.save(model);
        sn::export_npy(first, npy_dir);
        write_checkpoint_of(first, 0, ckpt);
    }
    std::mt19937_64 rng(20240613);
    killed_run run;
    const auto problem = [&](const std::string& what) {
        if (run.problems++ == 0) run.first_problem = what;
    };
    Net loaded{sn::Seed{2}};
    const auto enough = [&] { return run.mid_save >= kills / 10 && run.mid_checkpoint >= kills / 20; };
    for (int k = 0; k < 3 * kills && (k < kills || !enough()); ++k) {
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) saver(shared, model, npy_dir, ckpt, -1);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % static_cast<std::uint64_t>(max_delay_us)));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ++run.kills;
        const long started = shared->started.load(), saved = shared->saved.load(), exported = shared->exported.load(),
                   checkpointed = shared->checkpointed.load();
        const std::string at = "kill " + std::to_string(k) + " (started " + std::to_string(started) + ", saved " +
                               std::to_string(saved) + ", exported " + std::to_string(exported) + ", checkpointed " +
                               std::to_string(checkpointed) + "): ";
        // The model file: complete, and of a version no older than the last save that returned
        // (a save that a kill cut short after its rename counts as done).
        try {
            loaded.load(model);
            const long v = version_of(loaded);
            if (v < saved || v > started) problem(at + "the model file holds version " + std::to_string(v));
        } catch (const sn::error& e) {
            problem(at + "the model file does not load: " + e.what());
        }
        // The checkpoint: it reads, and holds a version no older than the last write that returned.
        try {
            const long v = checkpoint_version(loaded, ckpt);
            if (v < checkpointed || v > started) problem(at + "the checkpoint holds version " + std::to_string(v));
        } catch (const sn::error& e) {
            problem(at + "the checkpoint does not read: " + e.what());
        }
        // Each .npy file: complete, and of a version no older than the last export that returned
        // (exports cut short by earlier kills may have left newer ones in some files).
        int temporaries = 0;
        const auto temporary_of_a_file = [&](const std::string& name, const std::vector<std::string>& files) {
            const std::string file = name.substr(0, name.size() - 12);
            if (std::find(files.begin(), files.end(), file) == files.end()) problem(at + "temporary file of no file: " + name);
            ++temporaries;
        };
        for (const auto& name : names_in(npy_dir)) {
            if (is_temporary(name)) {
                temporary_of_a_file(name, npy_names);
                continue;
            }
            if (std::find(npy_names.begin(), npy_names.end(), name) == npy_names.end()) problem(at + "unexpected file " + name);
            if (name == "manifest.txt") continue;
            const long v = npy_version(npy_dir / name);
            if (v < exported || v > started) problem(at + name + " holds version " + std::to_string(v));
        }
        for (const auto& name : names_in(dir)) {
            if (name == "net.ckpt.sanenet-tmp") ++run.mid_checkpoint;
            if (is_temporary(name))
                temporary_of_a_file(name, {"net.sanenet", "net.ckpt"});
            else if (name != "net.sanenet" && name != "net.ckpt" && name != "npy")
                problem(at + "unexpected file " + name);
        }
        // At most one temporary file per file (checked above: each is named after its file), left
        // by the save of it that a kill cut short; the next save of that file takes it over.
        if (temporaries > 0) ++run.mid_save;
        run.most_temporaries = std::max(run.most_temporaries, temporaries);
    }
    // One more save and export clean up the temporary file a kill left.
    Net last{sn::Seed{3}};
    set_version(last, shared->started.load() + 1);
    last.save(model);
    sn::export_npy(last, npy_dir);
    write_checkpoint_of(last, shared->started.load() + 1, ckpt);
    if (checkpoint_version(last, ckpt) != shared->started.load() + 1) problem("after the last checkpoint: not its version");
    for (const auto& name : names_in(dir))
        if (is_temporary(name)) problem("after the last save: " + name + " is left");
    for (const auto& name : names_in(npy_dir))
        if (is_temporary(name)) problem("after the last export: " + name + " is left");
    ::munmap(mem, sizeof(progress));
    return run;
}

// Runs f in a child that has its own mount namespace, where mounts are private; the text is
// "skip: <why>" when the system does not allow that.
template <class F>
child_outcome in_mount_namespace(F&& f) {
    return run_in_child([&]() -> std::string {
        if (::unshare(CLONE_NEWNS) != 0) return std::string("skip: unshare(CLONE_NEWNS): ") + std::strerror(errno);
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return std::string("skip: making mounts private: ") + std::strerror(errno);
        return f();
    });
}

std::string describe(const child_outcome& r) {
    return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) + ": " + r.text;
}

}  // namespace

// A directory on a tmpfs when there is one: fsync costs nothing there, so 200 kills take seconds
// instead of minutes, and what a killed process leaves does not depend on the file system.
struct shm_dir {
    fs::path path;
    shm_dir() {
        const fs::path base =
            fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm") : fs::temp_directory_path();
        path = base / ("sanenet_test_crash_safety_kill_" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~shm_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

TEST_CASE("a saver SIGKILLed 200 times at random moments never leaves a damaged file or more than one temporary file") {
    shm_dir dir;
    // How long one save and export take here, to spread the kills over whole iterations.
    void* mem = ::mmap(nullptr, sizeof(progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem != MAP_FAILED);
    auto* timing = new (mem) progress;
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) saver(timing, dir.path / "timing.sanenet", dir.path / "timing_npy", dir.path / "timing.ckpt", 5);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    const long iteration_us = std::max<long>(
        200, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count() / 5);
    ::munmap(mem, sizeof(progress));
    fs::remove_all(dir.path / "timing_npy");
    fs::remove(dir.path / "timing.sanenet");
    fs::remove(dir.path / "timing.ckpt");

    const killed_run run = kill_savers(dir.path, 200, 3 * iteration_us);
    MESSAGE("kills: " << run.kills << ", after which a temporary file was left: " << run.mid_save << " (at most "
                      << run.most_temporaries << " at once, of 7 files), of the checkpoint: " << run.mid_checkpoint
                      << ", files lost or damaged: " << run.problems << " (one save + export + checkpoint: " << iteration_us
                      << " us)");
    CHECK(run.kills >= 200);
    CHECK_MESSAGE(run.problems == 0, run.first_problem);
    // The kills did hit saves in progress: otherwise this test proves nothing.
    CHECK(run.mid_save >= 20);
    CHECK(run.mid_checkpoint >= 10);
}

TEST_CASE("a temporary file left by a killed save is taken over by the next save, and a symlink there is refused") {
    temp_dir dir("stale");
    const fs::path model = dir.path / "net.sanenet";
    Net net{sn::Seed{4}};
    set_version(net, 7);
    SUBCASE("a stale temporary file") {
        // Larger than the model file, so that what the save leaves of it would show.
        write_file(dir.path / "net.sanenet.sanenet-tmp", std::string(1000000, 'x'));
        net.save(model);
        CHECK(names_in(dir.path) == std::vector<std::string>{"net.sanenet"});
        Net loaded{sn::Seed{5}};
        loaded.load(model);
        CHECK(version_of(loaded) == 7);
    }
    SUBCASE("a symlink in the temporary file's place is not written through") {
        const fs::path victim = dir.path / "victim.txt";
        write_file(victim, "keep me");
        fs::create_symlink(victim, dir.path / "net.sanenet.sanenet-tmp");
        const std::string msg = message_of<sn::io_error>([&] { net.save(model); });
        CHECK(contains(msg, "cannot create the temporary file"));
        CHECK(contains(msg, "net.sanenet.sanenet-tmp"));
        CHECK(read_text(victim) == "keep me");
        CHECK_FALSE(fs::exists(model));
    }
}

TEST_CASE("two processes saving different files in one folder, or the same file, leave complete files and no temporary file") {
    temp_dir dir("two_savers");
    // Four savers at once: two of their own file each, two of one shared file.
    std::vector<pid_t> pids;
    const auto spawn = [&](const fs::path& file, long base) {
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int code = 0;
            try {
                Net net{sn::Seed{6}};
                for (long v = 0; v < 60; ++v) {
                    set_version(net, base + v);
                    net.save(file);
                }
            } catch (...) {
                code = 1;
            }
            ::_exit(code);
        }
        pids.push_back(pid);
    };
    spawn(dir.path / "a.sanenet", 1000);
    spawn(dir.path / "b.sanenet", 2000);
    spawn(dir.path / "same.sanenet", 3000);
    spawn(dir.path / "same.sanenet", 4000);
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK(names_in(dir.path) == std::vector<std::string>{"a.sanenet", "b.sanenet", "same.sanenet"});
    Net loaded{sn::Seed{7}};
    loaded.load(dir.path / "a.sanenet");
    CHECK(version_of(loaded) == 1059);
    loaded.load(dir.path / "b.sanenet");
    CHECK(version_of(loaded) == 2059);
    loaded.load(dir.path / "same.sanenet");
    const long v = version_of(loaded);
    CHECK_MESSAGE((v == 3059 || v == 4059), "same.sanenet holds version " << v);
}

TEST_CASE("saving into a read-only directory is a clear io_error, and the old file stays") {
    temp_dir dir("read_only");
    const fs::path sub = dir.path / "ro", model = sub / "net.sanenet";
    fs::create_directories(sub);
    Net net{sn::Seed{8}};
    set_version(net, 1);
    net.save(model);
    const bytes old = read_bytes(model);
    set_version(net, 2);

    SUBCASE("a directory without write permission, saved to by an unprivileged user") {
        // root ignores permissions, so the save runs as nobody (65534) in a child.
        fs::permissions(sub, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
        fs::permissions(dir.path, fs::perms::others_exec | fs::perms::others_read, fs::perm_options::add);
        const child_outcome r = run_in_child([&]() -> std::string {
            if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
                return std::string("skip: cannot become nobody: ") + std::strerror(errno);
            net.save(model);
            return "saved";
        });
        fs::permissions(sub, fs::perms::owner_all, fs::perm_options::add);
        if (r.text.rfind("skip:", 0) == 0) {
            MESSAGE("not run: " << r.text);
        } else {
            INFO(describe(r));
            CHECK(r.exit_code == 3);
            CHECK(contains(r.text, "io_error: sanenet: cannot save '" + model.string() + "'"));
            CHECK(contains(r.text, "Permission denied"));
            CHECK(contains(r.text, "the directory must be writable"));
            CHECK(contains(r.text, "was left as it was"));
        }
    }
    SUBCASE("a read-only mount") {
        const child_outcome r = in_mount_namespace([&]() -> std::string {
            if (::mount(sub.c_str(), sub.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
                ::mount(nullptr, sub.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
                return std::string("skip: a read-only bind mount: ") + std::strerror(errno);
            net.save(model);
            return "saved";
        });
        if (r.text.rfind("skip:", 0) == 0) {
            MESSAGE("not run: " << r.text);
        } else {
            INFO(describe(r));
            CHECK(r.exit_code == 3);
            CHECK(contains(r.text, "cannot save '" + model.string() + "'"));
            CHECK(contains(r.text, "Read-only file system"));
            CHECK(contains(r.text, "was left as it was"));
        }
    }
    CHECK(read_bytes(model) == old);
    CHECK(names_in(sub) == std::vector<std::string>{"net.sanenet"});
}

TEST_CASE("saving onto a full disk is a clear io_error, and the old file stays") {
    temp_dir dir("full");
    const fs::path model = dir.path / "net.sanenet";
    Net net{sn::Seed{9}};
    set_version(net, 1);

    SUBCASE("the process's file size limit (RLIMIT_FSIZE)") {
        net.save(model);
        sn::export_npy(net, dir.path / "npy");
        const bytes old = read_bytes(model);
        const bytes old_weight = read_bytes(dir.path / "npy" / "dense0_weight.npy");
        set_version(net, 2);
        const child_outcome save = run_in_child([&]() -> std::string {
            std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
            const rlimit limit{64 * 1024, 64 * 1024};
            if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return std::string("skip: setrlimit: ") + std::strerror(errno);
            net.save(model);
            return "saved";
        });
        INFO(describe(save));
        CHECK(save.exit_code == 3);
        CHECK(contains(save.text, "cannot save '" + model.string() + "': writing"));
        CHECK(contains(save.text, "File too large"));
        CHECK(contains(save.text, "was left as it was"));
        const child_outcome exported = run_in_child([&]() -> std::string {
            std::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit{64 * 1024, 64 * 1024};
            if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return std::string("skip: setrlimit: ") + std::strerror(errno);
            sn::export_npy(net, dir.path / "npy");
            return "exported";
        });
        INFO(describe(exported));
        CHECK(exported.exit_code == 3);
        CHECK(contains(exported.text, "cannot export '" + (dir.path / "npy" / "dense0_weight.npy").string() + "'"));
        CHECK(read_bytes(model) == old);
        CHECK(read_bytes(dir.path / "npy" / "dense0_weight.npy") == old_weight);
        CHECK(names_in(dir.path) == std::vector<std::string>{"net.sanenet", "npy"});
        CHECK(names_in(dir.path / "npy") == npy_names);
    }
    SUBCASE("a small tmpfs that holds the old file but not a second copy") {
        const fs::path mnt = dir.path / "mnt";
        fs::create_directories(mnt);
        const child_outcome r = in_mount_namespace([&]() -> std::string {
            if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=600k") != 0)
                return std::string("skip: mounting a tmpfs: ") + std::strerror(errno);
            const fs::path file = mnt / "net.sanenet";
            net.save(file);  // 400 KB of 600 KB
            const bytes before = read_bytes(file);
            Net other = net;
            set_version(other, 2);
            std::string msg;
            try {
                other.save(file);
                return "the second save succeeded";
            } catch (const sn::io_error& e) {
                msg = e.what();
            }
            Net loaded{sn::Seed{10}};
            loaded.load(file);
            return msg + "\nold file intact: " + (read_bytes(file) == before && version_of(loaded) == 1 ? "yes" : "no") +
                   "\nfiles: " + std::to_string(names_in(mnt).size());
        });
        if (r.text.rfind("skip:", 0) == 0) {
            MESSAGE("not run: " << r.text);
        } else {
            INFO(describe(r));
            CHECK(r.exit_code == 0);
            CHECK(contains(r.text, "cannot save '" + (mnt / "net.sanenet").string() + "': writing"));
            CHECK(contains(r.text, "No space left on device"));
            CHECK(contains(r.text, "was left as it was"));
            CHECK(contains(r.text, "old file intact: yes"));
            CHECK(contains(r.text, "files: 1"));
        }
    }
}

TEST_CASE("saving or exporting over a directory is a clear io_error that leaves the directory as it was") {
    temp_dir dir("over_dir");
    Net net{sn::Seed{11}};
    fs::create_directories(dir.path / "net.sanenet" / "inside");
    const std::string msg = message_of<sn::io_error>([&] { net.save(dir.path / "net.sanenet"); });
    CHECK(contains(msg, "cannot save '" + (dir.path / "net.sanenet").string() + "': it is a directory"));
    CHECK(fs::is_directory(dir.path / "net.sanenet" / "inside"));

    fs::create_directories(dir.path / "npy" / "dense0_bias.npy");
    const std::string exported = message_of<sn::io_error>([&] { sn::export_npy(net, dir.path / "npy"); });
    CHECK(contains(exported, "dense0_bias.npy': it is a directory"));
    CHECK(fs::is_directory(dir.path / "npy" / "dense0_bias.npy"));
    for (const auto& name : names_in(dir.path / "npy")) CHECK_FALSE(is_temporary(name));
    CHECK(names_in(dir.path) == std::vector<std::string>{"net.sanenet", "npy"});
}
