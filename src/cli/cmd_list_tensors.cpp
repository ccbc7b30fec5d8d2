// znn list --tensors: the tensors of compressed safetensors files, and which chunks hold each
// (what `znn extract` would decode for it). Decodes only the chunks holding the header.
#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "console.hpp"
#include "znn/errors.hpp"
#include "znn/reader.hpp"
#include "znn/safetensors.hpp"

namespace znn::cli {

namespace {

std::string shape_text(const std::vector<std::uint64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i != 0) text += ", ";
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

std::string chunks_text(const Reader& reader, std::uint64_t begin, std::uint64_t end) {
    if (begin == end) return "-";
    const std::size_t first = reader.chunk_at(begin);
    const std::size_t last = reader.chunk_at(end - 1);
    return first == last ? std::to_string(first)
                         : std::to_string(first) + "-" + std::to_string(last);
}

void list_tensors(const std::string& path) {
    ReaderOptions options;
    options.read_ahead = false;
    options.threads = 1;
    // The header is never coded against a base: a delta file lists without one.
    options.allow_missing_base = true;
    Reader reader(path, options);
    const SafetensorsHeader header = read_safetensors_header(
        reader.size(), [&](std::uint64_t offset, std::span<std::uint8_t> out) {
            if (reader.read_at(offset, out) != out.size())
                throw FormatError("truncated safetensors content");
        });
    std::size_t name_width = 4;
    std::size_t shape_width = 5;
    std::vector<std::string> shapes;
    for (const TensorInfo& t : header.tensors) {
        name_width = std::max(name_width, t.name.size());
        shapes.push_back(shape_text(t.shape));
        shape_width = std::max(shape_width, shapes.back().size());
    }
    const int nw = static_cast<int>(name_width);
    const int sw = static_cast<int>(shape_width);
    std::printf("%-*s %-8s %-*s %12s  %s\n", nw, "name", "dtype", sw, "shape", "size", "chunks");
    for (std::size_t i = 0; i < header.tensors.size(); ++i) {
        const TensorInfo& t = header.tensors[i];
        std::printf(
            "%-*s %-8s %-*s %12s  %s\n", nw, t.name.c_str(), t.dtype.c_str(), sw, shapes[i].c_str(),
            format_size(t.size()).c_str(),
            chunks_text(reader, header.data_start + t.begin, header.data_start + t.end).c_str());
    }
    if (verbosity() >= 2 && !header.metadata.empty())
        std::printf("__metadata__ %s\n", header.metadata.c_str());
}

}  // namespace

int run_list_tensors(const Options& options) {
    bool ok = true;
    const bool several = options.inputs.size() > 1;
    for (std::size_t i = 0; i < options.inputs.size(); ++i) {
        const std::string& path = options.inputs[i];
        if (several) std::printf("%s%s:\n", i == 0 ? "" : "\n", path.c_str());
        std::fflush(stdout);
        try {
            list_tensors(path);
        } catch (const Error& e) {
            std::fflush(stdout);
            print_error(e.path().empty() ? path : e.path(), e.what());
            ok = false;
        }
    }
    std::fflush(stdout);
    return ok ? kExitOk : kExitError;
}

}  // namespace znn::cli
