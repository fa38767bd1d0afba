// A persistent thread pool with a deterministic split: task t always computes the same
// piece of the output, whichever thread runs it, so results do not depend on timing or on
// how many threads there are. Dispatch allocates nothing.
#pragma once

#include <sanenet/kernels/simd.hpp>

#include <cstddef>

#if defined(__SSE__) || defined(_M_X64)
#define SANENET_HAS_MXCSR 1
#else
#define SANENET_HAS_MXCSR 0
#endif
#if SANENET_DEFINITIONS
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>
#if SANENET_HAS_MXCSR
#include <xmmintrin.h>
#endif
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// How many threads `requested` means: 0 is every core.
SANENET_INLINE int resolve_threads(int requested);

// How many threads the process-wide pool runs, the caller included (one per core).
SANENET_INLINE int pool_threads();

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// The pool and what uses it are the definitions' business only: a compiled-mode TU parses
// none of <thread>, <mutex> and <atomic>.

// Flush-to-zero and denormals-are-zero for the current thread; restores the old mode when destroyed.
// Denormals in momentum buffers make small-batch training several times slower.
class scoped_flush_denormals {
public:
    scoped_flush_denormals();
    ~scoped_flush_denormals();
    scoped_flush_denormals(const scoped_flush_denormals&) = delete;
    scoped_flush_denormals& operator=(const scoped_flush_denormals&) = delete;

private:
    unsigned saved_ = 0;
};

class thread_pool {
public:
    using task_fn = void (*)(void* ctx, int task);

    explicit thread_pool(int workers);
    ~thread_pool();
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    // The process-wide pool, one thread per core (the caller is the first).
    static thread_pool& instance();

    int max_threads() const { return static_cast<int>(threads_.size()) + 1; }

    // Runs fn(ctx, t) for every t in [0, tasks) on up to `threads` threads, the caller
    // included, and returns when all are done. Threads claim tasks from a counter, so a
    // worker that the OS has not scheduled yet delays nothing: the caller takes its share.
    // Which thread runs a task never changes what the task computes.
    void run(int threads, int tasks, task_fn fn, void* ctx);

    // Runs fn(ctx, 0) once on every thread of the pool, the caller included: for per-thread
    // set-up (workspaces) that must not happen later, inside a step that allocates nothing.
    void run_on_every_thread(task_fn fn, void* ctx);

private:
    struct job {
        task_fn fn;
        void* ctx;
        int tasks;
        int participants;
        bool every_thread = false;
        std::uint64_t generation = 0;  // the generation_ that announced it
        std::atomic<int> next{0}, done{0}, joined{1};
        void work();
    };

    // Spin briefly (a job is often a few microseconds away), then give the core away.
    static constexpr int spin_limit = 2000;
    static void wait_a_little(int spin);

    void worker();

    std::mutex busy_;
    std::vector<std::thread> threads_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<job*> job_{nullptr};
    std::atomic<int> inside_{0};
    std::atomic<bool> stop_{false};
};

// f(begin, end) over [0, n) in chunks of `grain`, on up to `threads` threads. The chunks do
// not depend on the thread count, so neither do the results. Allocates nothing.
template <class F>
void parallel_for(int threads, std::size_t n, std::size_t grain, const F& f) {
    const std::size_t chunks = (n + grain - 1) / grain;
    if (threads <= 1 || chunks <= 1) {
        f(std::size_t{0}, n);
        return;
    }
    struct ctx_t {
        const F* f;
        std::size_t n, grain;
    } ctx{&f, n, grain};
    thread_pool::instance().run(
        threads, static_cast<int>(chunks),
        [](void* c, int t) {
            const auto& x = *static_cast<const ctx_t*>(c);
            const std::size_t b = static_cast<std::size_t>(t) * x.grain;
            (*x.f)(b, std::min(x.n, b + x.grain));
        },
        &ctx);
}

SANENET_INLINE scoped_flush_denormals::scoped_flush_denormals() {
#if SANENET_HAS_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);
#endif
}

SANENET_INLINE scoped_flush_denormals::~scoped_flush_denormals() {
#if SANENET_HAS_MXCSR
    _mm_setcsr(saved_);
#endif
}

inline void cpu_relax() {
#if SANENET_HAS_MXCSR
    _mm_pause();
#endif
}

SANENET_INLINE thread_pool::thread_pool(int workers) {
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this] { worker(); });
}

SANENET_INLINE thread_pool::~thread_pool() {
    stop_.store(true);
    generation_.fetch_add(1);
    generation_.notify_all();
    for (auto& t : threads_) t.join();
}

SANENET_INLINE thread_pool& thread_pool::instance() {
    static thread_pool pool(std::max(1, static_cast<int>(std::thread::hardware_concurrency())) - 1);
    return pool;
}

SANENET_INLINE void thread_pool::run(int threads, int tasks, task_fn fn, void* ctx) {
    threads = std::clamp(std::min(threads, tasks), 1, max_threads());
    // A second caller while the pool is busy runs inline: same tasks, same results.
    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (threads == 1 || !lock.owns_lock()) {
        for (int t = 0; t < tasks; ++t) fn(ctx, t);
        return;
    }
    job j{fn, ctx, tasks, threads};
    j.generation = generation_.load() + 1;
    job_.store(&j);
    generation_.fetch_add(1);
    generation_.notify_all();
    j.work();
    for (int spin = 0; j.done.load(std::memory_order_acquire) != tasks; ++spin) wait_a_little(spin);
    // No worker may still hold a pointer to j once this returns.
    job_.store(nullptr);
    for (int spin = 0; inside_.load() != 0; ++spin) wait_a_little(spin);
}

SANENET_INLINE void thread_pool::run_on_every_thread(task_fn fn, void* ctx) {
    std::lock_guard<std::mutex> lock(busy_);
    fn(ctx, 0);
    job j{fn, ctx, 0, max_threads(), true};
    j.generation = generation_.load() + 1;
    job_.store(&j);
    generation_.fetch_add(1);
    generation_.notify_all();
    for (int spin = 0; j.done.load(std::memory_order_acquire) != max_threads() - 1; ++spin) wait_a_little(spin);
    job_.store(nullptr);
    for (int spin = 0; inside_.load() != 0; ++spin) wait_a_little(spin);
}

SANENET_INLINE void thread_pool::job::work() {
    for (int t; (t = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) {
        fn(ctx, t);
        done.fetch_add(1, std::memory_order_release);
    }
}

SANENET_INLINE void thread_pool::wait_a_little(int spin) {
    if (spin < spin_limit)
        cpu_relax();
    else
        std::this_thread::yield();
}

SANENET_INLINE void thread_pool::worker() {
    scoped_flush_denormals ftz;
    // seen: the last generation this worker woke for; joined: the last job it took part in. A
    // worker that read a generation late can find the next job already published, and then
    // wakes for it a second time: without `joined` it would run an every-thread job twice,
    // and its caller, waiting for exactly one run per worker, would wait forever.
    std::uint64_t seen = 0, joined = 0;
    for (;;) {
        std::uint64_t g = generation_.load(std::memory_order_acquire);
        for (int spin = 0; g == seen && spin < spin_limit; ++spin) {
            cpu_relax();
            g = generation_.load(std::memory_order_acquire);
        }
        if (g == seen) {
            generation_.wait(seen, std::memory_order_acquire);
            continue;
        }
        seen = g;
        if (stop_.load()) return;
        inside_.fetch_add(1);
        if (job* j = job_.load(); j && j->generation > joined) {
            joined = j->generation;
            if (j->every_thread) {
                j->fn(j->ctx, 0);
                j->done.fetch_add(1, std::memory_order_release);
            } else if (j->joined.fetch_add(1) < j->participants) {
                j->work();
            }
        }
        inside_.fetch_sub(1);
    }
}

SANENET_INLINE int resolve_threads(int requested) {
    const int hw = thread_pool::instance().max_threads();
    return requested <= 0 ? hw : std::min(requested, hw);
}

SANENET_INLINE int pool_threads() { return thread_pool::instance().max_threads(); }

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
