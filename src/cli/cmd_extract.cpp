// znn extract: chosen tensors of a compressed safetensors file, as a safetensors file of their
// own, or a byte range of any .znn file's content; only the chunks they lie in are decoded.
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

#include "commands.hpp"
#include "console.hpp"
#include "output_file.hpp"
#include "znn/base.hpp"
#include "znn/errors.hpp"
#include "znn/reader.hpp"
#include "znn/safetensors.hpp"
#include "znn/stream.hpp"

namespace znn::cli {

namespace {

// Content is copied out this much at a time: pieces of decoded chunks, written as they are.
constexpr std::size_t kStep = std::size_t{8} << 20;

// A run of the content to copy to the output.
struct Span {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct Extraction {
    std::vector<std::uint8_t> header;  // written first: the new safetensors header, if any
    std::vector<Span> spans;
    std::string summary;  // for -v
};

std::uint64_t parse_number(std::string_view text, std::string_view what) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw UsageError("--range: " + std::string(what) + " is not a byte count: '" +
                         std::string(text) + "'");
    return value;
}

Extraction plan_range(const std::string& range, std::uint64_t size) {
    const auto colon = range.find(':');
    if (colon == std::string::npos) throw UsageError("--range takes OFFSET:LENGTH");
    const std::uint64_t offset = parse_number(range.substr(0, colon), "OFFSET");
    const std::string_view length_text = std::string_view(range).substr(colon + 1);
    if (offset > size)
        throw Error("--range starts past the end of the content (" + std::to_string(size) +
                    " bytes)");
    const std::uint64_t length =
        length_text.empty() ? size - offset : parse_number(length_text, "LENGTH");
    if (length > size - offset)
        throw Error("--range runs past the end of the content (" + std::to_string(size) +
                    " bytes)");
    Extraction e;
    e.spans.push_back({offset, length});
    e.summary = "bytes " + std::to_string(offset) + " to " + std::to_string(offset + length);
    return e;
}

bool is_glob(const std::string& pattern) {
    return pattern.find_first_of("*?[") != std::string::npos;
}

// The tensors named or matched by the patterns, in their order in the data. A pattern that
// names or matches nothing is an error.
std::vector<const TensorInfo*> select_tensors(const SafetensorsHeader& header,
                                              const std::vector<std::string>& patterns) {
    std::set<const TensorInfo*> chosen;
    for (const std::string& pattern : patterns) {
        bool found = false;
        for (const TensorInfo& t : header.tensors) {
            const bool match = is_glob(pattern) ? ::fnmatch(pattern.c_str(), t.name.c_str(), 0) == 0
                                                : t.name == pattern;
            if (match) {
                chosen.insert(&t);
                found = true;
            }
        }
        if (!found)
            throw Error(is_glob(pattern) ? "no tensor matches '" + pattern + "'"
                                         : "no tensor named '" + pattern + "'");
    }
    std::vector<const TensorInfo*> sorted(chosen.begin(), chosen.end());
    std::sort(sorted.begin(), sorted.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->name < b->name;
    });
    return sorted;
}

Extraction plan_tensors(Reader& reader, const std::vector<std::string>& patterns) {
    const SafetensorsHeader header = read_safetensors_header(
        reader.size(), [&](std::uint64_t offset, std::span<std::uint8_t> out) {
            if (reader.read_at(offset, out) != out.size())
                throw FormatError("truncated safetensors content");
        });
    Extraction e;
    std::vector<TensorInfo> kept;
    std::uint64_t at = 0;
    for (const TensorInfo* t : select_tensors(header, patterns)) {
        TensorInfo moved = *t;
        moved.begin = at;
        moved.end = at + t->size();
        at = moved.end;
        kept.push_back(std::move(moved));
        if (t->size() != 0) e.spans.push_back({header.data_start + t->begin, t->size()});
    }
    e.header = make_safetensors_header(kept, header.metadata);
    e.summary = std::to_string(kept.size()) + (kept.size() == 1 ? " tensor" : " tensors");
    return e;
}

// Which chunks the spans lie in, for -v: "chunks 3-7 of 2200".
std::string chunks_text(const Reader& reader, const std::vector<Span>& spans) {
    std::set<std::size_t> chunks;
    for (const Span& s : spans) {
        if (s.length == 0) continue;
        const std::size_t last = reader.chunk_at(s.offset + s.length - 1);
        for (std::size_t i = reader.chunk_at(s.offset); i <= last; ++i) chunks.insert(i);
    }
    return std::to_string(chunks.size()) + " of " + std::to_string(reader.chunk_count()) +
           " chunks decoded";
}

}  // namespace

int run_extract(const Options& options) {
    const std::string& input = options.inputs.front();
    try {
        ReaderOptions reader_options;
        reader_options.threads = options.threads;
        if (!options.base.empty()) reader_options.base = BaseModel::open(options.base);
        Reader reader(input, reader_options);
        const Extraction plan = options.range.empty() ? plan_tensors(reader, options.tensors)
                                                      : plan_range(options.range, reader.size());

        OutputTarget out;
        const std::string target = options.to_stdout ? std::string("-") : options.output;
        struct stat source {};
        const bool have_source = ::stat(input.c_str(), &source) == 0;
        open_output(out, target, input, have_source ? &source : nullptr, options, {});
        if (!out.file && !out.owns_fd && ::isatty(out.fd) == 1 && !options.force)
            throw UsageError(
                "stdout is a terminal: not writing binary data to it (use -o or a redirection)",
                input);
        FdOutput sink(out.fd, out.name);
        sink.write(plan.header);
        std::uint64_t written = plan.header.size();
        for (const Span& span : plan.spans) {
            for (std::uint64_t done = 0; done < span.length;) {
                const auto step =
                    static_cast<std::size_t>(std::min<std::uint64_t>(kStep, span.length - done));
                const auto pieces = reader.read_pieces(span.offset + done, step);
                if (pieces.empty()) throw FormatError("truncated content");
                for (const ContentPiece& piece : pieces) {
                    sink.write(piece.bytes);
                    done += piece.bytes.size();
                }
            }
            written += span.length;
        }
        if (out.file) {
            // The input's permissions, not the temporary file's 0600; not its times: the
            // output is a new file.
            if (have_source) (void)::fchmod(out.fd, source.st_mode & 0777);
            out.file->commit(out.replace, false);
        }
        print_info(input + ": " + plan.summary + ", " + format_size(written) + " to " + out.name +
                   " (" + chunks_text(reader, plan.spans) + ")");
        return kExitOk;
    } catch (Error& e) {
        if (e.path().empty()) e.set_path(input);
        throw;
    }
}

}  // namespace znn::cli
