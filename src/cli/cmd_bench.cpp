// znn bench: in-memory ratio and speed of znn against zstd -1 and -3 on the same buffer,
// in one run. Like `zstd -b`, each figure is the fastest of repeated runs; the codecs
// take turns, so a change in machine load hits them all alike.
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

#include "commands.hpp"
#include "console.hpp"
#include "znn/errors.hpp"
#include "znn/znn.hpp"

namespace znn::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Timings {
    std::vector<double> best;  // each function's fastest run, in seconds
    int rounds = 0;
};

// Times every function in turn, round after round, for about `seconds` per function
// (at least three rounds), and returns each one's fastest run. Interleaving the
// contenders makes them share whatever the machine's load and clock do meanwhile.
Timings fastest_seconds(double seconds, const std::vector<std::function<void()>>& fns) {
    Timings t;
    t.best.assign(fns.size(), 1e100);
    const auto start = Clock::now();
    const double budget = seconds * static_cast<double>(fns.size());
    do {
        for (std::size_t i = 0; i < fns.size(); ++i) {
            const auto t0 = Clock::now();
            fns[i]();
            const std::chrono::duration<double> took = Clock::now() - t0;
            t.best[i] = std::min(t.best[i], took.count());
        }
        ++t.rounds;
    } while (t.rounds < 3 || std::chrono::duration<double>(Clock::now() - start).count() < budget);
    return t;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot open", path);
    std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
    if (in.bad()) throw IoError("read failed", path);
    return data;
}

struct Result {
    double ratio;
    double compress_mbps;
    double decompress_mbps;
};

// One codec under test: compress() and decompress() work on buffers it owns.
struct Contender {
    std::function<void()> compress;
    std::function<void()> decompress;
    std::function<std::size_t()> packed_size;
};

// The zstd worker threads -T asks for, if this libzstd has them (Debian's static archive is
// built without): 0 means zstd's single-threaded mode.
int zstd_workers(unsigned threads) {
    if (threads <= 1) return 0;
    const ZSTD_bounds bounds = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
    if (ZSTD_isError(bounds.error) || bounds.upperBound < 1) return 0;
    return static_cast<int>(std::min<unsigned>(threads, static_cast<unsigned>(bounds.upperBound)));
}

// zstd's result, or a FormatError: a benchmark of a failing codec measures nothing.
std::size_t check_zstd(std::size_t result, const char* what) {
    if (ZSTD_isError(result))
        throw FormatError(std::string("zstd ") + what + " failed: " + ZSTD_getErrorName(result));
    return result;
}

struct ZstdContender {
    ZstdContender(const std::vector<std::uint8_t>& data, int level, int workers)
        : data_(data), packed_(ZSTD_compressBound(data.size())), restored_(data.size()) {
        check_zstd(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level), "set level");
        check_zstd(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, workers), "set workers");
    }
    ~ZstdContender() {
        ZSTD_freeCCtx(cctx_);
        ZSTD_freeDCtx(dctx_);
    }
    ZstdContender(const ZstdContender&) = delete;
    ZstdContender& operator=(const ZstdContender&) = delete;

    Contender contender() {
        return {[this] {
                    size_ = check_zstd(ZSTD_compress2(cctx_, packed_.data(), packed_.size(),
                                                      data_.data(), data_.size()),
                                       "compression");
                },
                [this] {
                    const std::size_t n =
                        check_zstd(ZSTD_decompressDCtx(dctx_, restored_.data(), restored_.size(),
                                                       packed_.data(), size_),
                                   "decompression");
                    if (n != data_.size()) throw FormatError("zstd round trip: size differs");
                },
                [this] { return size_; }};
    }
    bool round_trips() const { return restored_ == data_; }

  private:
    const std::vector<std::uint8_t>& data_;
    std::vector<std::uint8_t> packed_;
    std::vector<std::uint8_t> restored_;
    std::size_t size_ = 0;
    ZSTD_CCtx* cctx_ = ZSTD_createCCtx();
    ZSTD_DCtx* dctx_ = ZSTD_createDCtx();
};

// Like zstd, znn compresses into a buffer allocated beforehand. Model files code to less
// than their size; one that would not fit makes the buffer grow, and that slow run is not
// the fastest, which is what counts.
struct ZnnContender {
    ZnnContender(const std::vector<std::uint8_t>& data, const Options& o)
        : data_(data),
          packed_(data.size() + data.size() / 8 + (std::size_t{1} << 20)),
          restored_(data.size()) {
        c_.threads = o.threads;
        c_.chunk_size = o.chunk_size;
        c_.dtype = o.dtype;
        c_.level = o.level;
        d_.threads = o.threads;
    }
    Contender contender() {
        return {[this] {
                    for (;;) {
                        SpanInput in(data_);
                        SpanOutput out(packed_);
                        try {
                            compress(in, out, c_);
                            size_ = out.size();
                            return;
                        } catch (const IoError&) {
                            if (packed_.size() > 64 * data_.size() + (std::size_t{1} << 20)) throw;
                            packed_.resize(2 * packed_.size());
                        }
                    }
                },
                [this] {
                    SpanInput in({packed_.data(), size_});
                    SpanOutput out(restored_);
                    decompress(in, out, d_);
                },
                [this] { return size_; }};
    }
    bool round_trips() const { return restored_ == data_; }

  private:
    const std::vector<std::uint8_t>& data_;
    CompressOptions c_;
    DecompressOptions d_;
    std::vector<std::uint8_t> packed_;
    std::size_t size_ = 0;
    std::vector<std::uint8_t> restored_;
};

struct BenchResults {
    std::vector<Result> results;  // znn, zstd -1, zstd -3
    int compress_rounds = 0;
    int decompress_rounds = 0;
};

// Ratio and speeds of znn, zstd -1 and zstd -3 on one buffer, in that order; every
// codec's output is decoded and compared with the input.
BenchResults bench_all(const std::vector<std::uint8_t>& data, const Options& o, int workers) {
    ZnnContender znn(data, o);
    ZstdContender z1(data, 1, workers);
    ZstdContender z3(data, 3, workers);
    const std::vector<Contender> all = {znn.contender(), z1.contender(), z3.contender()};
    std::vector<std::function<void()>> compressors;
    std::vector<std::function<void()>> decompressors;
    for (const Contender& c : all) {
        compressors.push_back(c.compress);
        decompressors.push_back(c.decompress);
    }
    const Timings tc = fastest_seconds(o.bench_seconds, compressors);
    const Timings td = fastest_seconds(o.bench_seconds, decompressors);
    if (!znn.round_trips()) throw FormatError("round trip mismatch: please report this bug");
    if (!z1.round_trips() || !z3.round_trips()) throw FormatError("zstd round trip mismatch");
    const double n = static_cast<double>(data.size());
    BenchResults r{{}, tc.rounds, td.rounds};
    for (std::size_t i = 0; i < all.size(); ++i)
        r.results.push_back({static_cast<double>(all[i].packed_size()) / n, n / tc.best[i] / 1e6,
                             n / td.best[i] / 1e6});
    return r;
}

void print_row(const char* name, const Result& r) {
    std::printf("  %-8s %7.2f%% %9.0f MB/s %9.0f MB/s\n", name, 100.0 * r.ratio, r.compress_mbps,
                r.decompress_mbps);
}

}  // namespace

int run_bench(const Options& options) {
    bool ok = true;
    const int workers = zstd_workers(options.threads);
    for (const std::string& path : options.inputs) {
        try {
            const auto data = read_file(path);
            if (data.empty()) throw UsageError("empty file: nothing to measure", path);
            const BenchResults bench = bench_all(data, options, workers);
            const Result& z = bench.results[0];
            const Result& z1 = bench.results[1];
            const Result& z3 = bench.results[2];
            std::string zstd_threads;
            if (workers > 0)
                zstd_threads = "zstd with " + std::to_string(workers) + " workers";
            else if (options.threads > 1)
                zstd_threads = "zstd on one thread (this libzstd has no worker threads)";
            else
                zstd_threads = "zstd on one thread";
            std::printf("%s: %s, znn level %d with %u thread%s, %s\n", path.c_str(),
                        format_size(data.size()).c_str(), options.level, options.threads,
                        options.threads == 1 ? "" : "s", zstd_threads.c_str());
            std::printf("  %-8s %8s %14s %14s\n", "codec", "size", "compress", "decompress");
            print_row("znn", z);
            print_row("zstd -1", z1);
            print_row("zstd -3", z3);
            std::printf("  znn vs zstd -1: size %.3fx, compress %.2fx, decompress %.2fx\n",
                        z.ratio / z1.ratio, z.compress_mbps / z1.compress_mbps,
                        z.decompress_mbps / z1.decompress_mbps);
            if (verbosity() >= 2)
                std::printf("  best of %d rounds compressing, %d decompressing\n",
                            bench.compress_rounds, bench.decompress_rounds);
            std::fflush(stdout);
        } catch (const Error& e) {
            print_error(e.path().empty() ? path : e.path(), e.what());
            ok = false;
        }
    }
    return ok ? kExitOk : kExitError;
}

}  // namespace znn::cli
