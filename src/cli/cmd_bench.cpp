// znn bench: in-memory ratio and speed of znn against zstd -1 and -3 on the same buffer,
// in one run. Like `zstd -b`, each figure is the fastest of repeated runs.
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

// Runs fn until `seconds` have passed (at least twice) and returns the fastest run's time.
double fastest_seconds(double seconds, const std::function<void()>& fn) {
    double best = 1e100;
    const auto start = Clock::now();
    int runs = 0;
    do {
        const auto t0 = Clock::now();
        fn();
        const std::chrono::duration<double> took = Clock::now() - t0;
        best = std::min(best, took.count());
        ++runs;
    } while (runs < 2 || std::chrono::duration<double>(Clock::now() - start).count() < seconds);
    return best;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot open", path);
    std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw IoError("read failed", path);
    return data;
}

struct Result {
    double ratio;
    double compress_mbps;
    double decompress_mbps;
};

Result bench_znn(const std::vector<std::uint8_t>& data, const Options& o) {
    CompressOptions c;
    c.threads = o.threads;
    c.chunk_size = o.chunk_size;
    c.dtype = o.dtype;
    DecompressOptions d;
    d.threads = o.threads;
    VectorOutput packed;
    packed.bytes.reserve(data.size() + data.size() / 8 + 4096);
    const double tc = fastest_seconds(o.bench_seconds, [&] {
        packed.bytes.clear();
        SpanInput in(data);
        compress(in, packed, c);
    });
    std::vector<std::uint8_t> restored(data.size());
    const double td = fastest_seconds(o.bench_seconds, [&] {
        SpanInput in(packed.bytes);
        SpanOutput out(restored);
        decompress(in, out, d);
    });
    if (restored != data) throw FormatError("round trip mismatch: please report this bug");
    const double n = static_cast<double>(data.size());
    return {static_cast<double>(packed.bytes.size()) / n, n / tc / 1e6, n / td / 1e6};
}

Result bench_zstd(const std::vector<std::uint8_t>& data, int level, double seconds) {
    std::vector<std::uint8_t> packed(ZSTD_compressBound(data.size()));
    std::vector<std::uint8_t> restored(data.size());
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    std::size_t size = 0;
    const double tc = fastest_seconds(seconds, [&] {
        size = ZSTD_compressCCtx(cctx, packed.data(), packed.size(), data.data(), data.size(), level);
    });
    const double td = fastest_seconds(seconds, [&] {
        ZSTD_decompressDCtx(dctx, restored.data(), restored.size(), packed.data(), size);
    });
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
    const double n = static_cast<double>(data.size());
    return {static_cast<double>(size) / n, n / tc / 1e6, n / td / 1e6};
}

void print_row(const char* name, const Result& r) {
    std::printf("  %-8s %7.2f%% %9.0f MB/s %9.0f MB/s\n", name, 100.0 * r.ratio, r.compress_mbps, r.decompress_mbps);
}

}  // namespace

int run_bench(const Options& options) {
    bool ok = true;
    for (const std::string& path : options.inputs) {
        try {
            const auto data = read_file(path);
            if (data.empty()) throw UsageError("empty file: nothing to measure", path);
            const Result z = bench_znn(data, options);
            const Result z1 = bench_zstd(data, 1, options.bench_seconds);
            const Result z3 = bench_zstd(data, 3, options.bench_seconds);
            std::printf("%s: %s, znn with %u thread%s\n", path.c_str(), format_size(data.size()).c_str(),
                        options.threads, options.threads == 1 ? "" : "s");
            std::printf("  %-8s %8s %14s %14s\n", "codec", "size", "compress", "decompress");
            print_row("znn", z);
            print_row("zstd -1", z1);
            print_row("zstd -3", z3);
            std::printf("  znn vs zstd -1: size %.3fx, compress %.2fx, decompress %.2fx\n", z.ratio / z1.ratio,
                        z.compress_mbps / z1.compress_mbps, z.decompress_mbps / z1.decompress_mbps);
            std::fflush(stdout);
        } catch (const Error& e) {
            print_error(e.path().empty() ? path : e.path(), e.what());
            ok = false;
        }
    }
    return ok ? kExitOk : kExitError;
}

}  // namespace znn::cli
