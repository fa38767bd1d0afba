// A persistent thread pool with a deterministic split: task t always computes the same
// piece of the output, whichever thread runs it, so results do not depend on timing.
// Dispatch allocates nothing (a function pointer and a context pointer).
#pragma once

#include <sanenet/kernels/simd.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define SANENET_HAS_MXCSR 1
#else
#define SANENET_HAS_MXCSR 0
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::kernels {

// Flush-to-zero and denormals-are-zero for the current thread; restores the old mode when destroyed.
// Denormals in momentum buffers make small-batch training several times slower.
class scoped_flush_denormals {
public:
    scoped_flush_denormals() {
#if SANENET_HAS_MXCSR
        saved_ = _mm_getcsr();
        _mm_setcsr(saved_ | 0x8040u);
#endif
    }
    ~scoped_flush_denormals() {
#if SANENET_HAS_MXCSR
        _mm_setcsr(saved_);
#endif
    }
    scoped_flush_denormals(const scoped_flush_denormals&) = delete;
    scoped_flush_denormals& operator=(const scoped_flush_denormals&) = delete;

private:
    unsigned saved_ = 0;
};

inline void cpu_relax() {
#if SANENET_HAS_MXCSR
    _mm_pause();
#endif
}

class thread_pool {
public:
    using task_fn = void (*)(void* ctx, int task);

    explicit thread_pool(int workers) {
        for (int w = 0; w < workers; ++w) threads_.emplace_back([this, w] { worker(w + 1); });
    }
    ~thread_pool() {
        stop_.store(true);
        generation_.fetch_add(1);
        generation_.notify_all();
        for (auto& t : threads_) t.join();
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    // The process-wide pool, one thread per core (the caller is the first).
    static thread_pool& instance() {
        static thread_pool pool(std::max(1, static_cast<int>(std::thread::hardware_concurrency())) - 1);
        return pool;
    }

    int max_threads() const { return static_cast<int>(threads_.size()) + 1; }

    // Runs fn(ctx, t) for every t in [0, tasks) on `threads` threads including the caller;
    // thread i runs tasks i, i + threads, ... Returns when all are done.
    void run(int threads, int tasks, task_fn fn, void* ctx) {
        threads = std::clamp(std::min(threads, tasks), 1, max_threads());
        // A second caller while the pool is busy runs inline: same tasks, same results.
        std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
        if (threads == 1 || !lock.owns_lock()) {
            for (int t = 0; t < tasks; ++t) fn(ctx, t);
            return;
        }
        fn_ = fn;
        ctx_ = ctx;
        tasks_ = tasks;
        active_ = threads;
        // Every worker acknowledges every job, so none can mix up the fields of two jobs.
        pending_.store(max_threads() - 1);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        for (int t = 0; t < tasks; t += threads) fn(ctx, t);
        for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
            if (spin < spin_limit) cpu_relax();
            else std::this_thread::yield();
        }
    }

private:
    static constexpr int spin_limit = 1 << 14;

    void worker(int id) {
        scoped_flush_denormals ftz;
        std::uint64_t seen = 0;
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
            if (id < active_)
                for (int t = id; t < tasks_; t += active_) fn_(ctx_, t);
            pending_.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    std::mutex busy_;
    std::vector<std::thread> threads_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
    task_fn fn_ = nullptr;
    void* ctx_ = nullptr;
    int tasks_ = 0;
    int active_ = 0;
};

// How many threads `requested` means: 0 is every core.
inline int resolve_threads(int requested) {
    const int hw = thread_pool::instance().max_threads();
    return requested <= 0 ? hw : std::min(requested, hw);
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
