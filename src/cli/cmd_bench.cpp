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

// Times every function in turn, round after round, for about `seconds` per function
// (at least three rounds), and returns each one's fastest run. Interleaving the
// contenders makes them share whatever the machine's load and clock do meanwhile.
std::vector<double> fastest_seconds(double seconds, const std::vector<std::function<void()>>& fns) {
    std::vector<double> best(fns.size(), 1e100);
    const auto start = Clock::now();
    const double budget = seconds * static_cast<double>(fns.size());
    int rounds = 0;
    do {
        for (std::size_t i = 0; i < fns.size(); ++i) {
            const auto t0 = Clock::now();
            fns[i]();
            const std::chrono::duration<double> took = Clock::now() - t0;
            best[i] = std::min(best[i], took.count());
        }
        ++rounds;
    } while (rounds < 3 || std::chrono::duration<double>(Clock::now() - start).count() < budget);
    return best;
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

struct ZstdContender {
    ZstdContender(const std::vector<std::uint8_t>& data, int level)
        : data_(data),
          level_(level),
          packed_(ZSTD_compressBound(data.size())),
          restored_(data.size()) {}
    ~ZstdContender() {
        ZSTD_freeCCtx(cctx_);
        ZSTD_freeDCtx(dctx_);
    }
    ZstdContender(const ZstdContender&) = delete;
    ZstdContender& operator=(const ZstdContender&) = delete;

    Contender contender() {
        return {[this] {
                    size_ = ZSTD_compressCCtx(cctx_, packed_.data(), packed_.size(), data_.data(),
                                              data_.size(), level_);
                },
                [this] {
                    ZSTD_decompressDCtx(dctx_, restored_.data(), restored_.size(), packed_.data(),
                                        size_);
                },
                [this] { return size_; }};
    }

  private:
    const std::vector<std::uint8_t>& data_;
    int level_;
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

// Ratio and speeds of znn, zstd -1 and zstd -3 on one buffer, in that order.
std::vector<Result> bench_all(const std::vector<std::uint8_t>& data, const Options& o) {
    ZnnContender znn(data, o);
    ZstdContender z1(data, 1);
    ZstdContender z3(data, 3);
    const std::vector<Contender> all = {znn.contender(), z1.contender(), z3.contender()};
    std::vector<std::function<void()>> compressors;
    std::vector<std::function<void()>> decompressors;
    for (const Contender& c : all) {
        compressors.push_back(c.compress);
        decompressors.push_back(c.decompress);
    }
    const auto tc = fastest_seconds(o.bench_seconds, compressors);
    const auto td = fastest_seconds(o.bench_seconds, decompressors);
    if (!znn.round_trips()) throw FormatError("round trip mismatch: please report this bug");
    const double n = static_cast<double>(data.size());
    std::vector<Result> results;
    for (std::size_t i = 0; i < all.size(); ++i)
        results.push_back(
            {static_cast<double>(all[i].packed_size()) / n, n / tc[i] / 1e6, n / td[i] / 1e6});
    return results;
}

void print_row(const char* name, const Result& r) {
    std::printf("  %-8s %7.2f%% %9.0f MB/s %9.0f MB/s\n", name, 100.0 * r.ratio, r.compress_mbps,
                r.decompress_mbps);
}

}  // namespace

int run_bench(const Options& options) {
    bool ok = true;
    for (const std::string& path : options.inputs) {
        try {
            const auto data = read_file(path);
            if (data.empty()) throw UsageError("empty file: nothing to measure", path);
            const auto results = bench_all(data, options);
            const Result& z = results[0];
            const Result& z1 = results[1];
            const Result& z3 = results[2];
            std::printf("%s: %s, znn with %u thread%s\n", path.c_str(),
                        format_size(data.size()).c_str(), options.threads,
                        options.threads == 1 ? "" : "s");
            std::printf("  %-8s %8s %14s %14s\n", "codec", "size", "compress", "decompress");
            print_row("znn", z);
            print_row("zstd -1", z1);
            print_row("zstd -3", z3);
            std::printf("  znn vs zstd -1: size %.3fx, compress %.2fx, decompress %.2fx\n",
                        z.ratio / z1.ratio, z.compress_mbps / z1.compress_mbps,
                        z.decompress_mbps / z1.decompress_mbps);
            std::fflush(stdout);
        } catch (const Error& e) {
            print_error(e.path().empty() ? path : e.path(), e.what());
            ok = false;
        }
    }
    return ok ? kExitOk : kExitError;
}

}  // namespace znn::cli
