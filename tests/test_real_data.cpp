// Optional tier over ../shared/data (real model weights); skipped when the folder is absent.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "znn/znn.hpp"

namespace fs = std::filesystem;

TEST_CASE("real data: every shared model file round-trips") {
    const fs::path dir = ZNN_SHARED_DATA_DIR;
    if (!fs::is_directory(dir)) {
        WARN("shared data folder absent: skipped");
        return;
    }
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().extension() == ".md" || entry.path().filename() == "SHA256SUMS")
            continue;
        INFO(entry.path());
        std::ifstream in(entry.path(), std::ios::binary);
        const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto packed = znn::compress_buffer(data);
        CHECK(packed.size() < data.size());
        CHECK(znn::decompress_buffer(packed) == data);
    }
}
