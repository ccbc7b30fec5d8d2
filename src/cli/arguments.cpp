#include "arguments.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string_view>
#include <thread>

#include "arguments_access.hpp"
#include "console.hpp"

namespace znn::cli {

namespace {

constexpr std::array<std::string_view, 9> kSubcommands = {
    "compress", "decompress", "test", "list", "info", "bench", "index", "extract", "mount"};
constexpr const char* kDtypes = "Element type: auto, bf16, fp16, fp32, fp8, bytes";

// A usage error found before or after CLI11's own checks: printed like them.
struct UsageProblem {
    std::string message;
};

// --- The flags, each group defined once and added where it applies. ---

void add_mode_flags(CLI::App& app, std::optional<Mode>& mode) {
    // As zstd's -z/-d/-t/-l, for the form without a subcommand; the last one typed wins.
    const auto flag = [&](const char* names, Mode m, const char* help) {
        app.add_flag_callback(
               names, [&mode, m] { mode = m; }, help)
            ->trigger_on_parse();
    };
    flag("-z,--compress", Mode::compress, "Compress (the default without a subcommand)");
    flag("-d,--decompress", Mode::decompress, "Decompress, as the decompress subcommand");
    flag("-t,--test", Mode::test, "Test, as the test subcommand");
    flag("-l,--list", Mode::list, "List, as the list subcommand");
}

void add_output_flags(CLI::App& cmd, Options& o) {
    cmd.add_option("-o,--output", o.output, "Write to this file (one input only)");
    cmd.add_flag("-c,--stdout", o.to_stdout, "Write to stdout");
    cmd.add_flag("-f,--force", o.force,
                 "Overwrite existing outputs; allow compressed data to a terminal");
    // Callbacks run as each flag is parsed, so the last of -k and --rm typed wins (as in zstd);
    // plain flags would be applied in the order they are defined here.
    cmd.add_flag_callback(
           "-k,--keep", [&o] { o.remove_source = false; },
           "Keep source files (default; the last of -k and --rm wins)")
        ->trigger_on_parse();
    cmd.add_flag_callback(
           "--rm", [&o] { o.remove_source = true; },
           "Remove each source file after its output is complete and verified")
        ->trigger_on_parse();
    cmd.add_flag("-r,--recursive", o.recursive, "Walk folders (implied by a folder argument)");
}

void add_base(CLI::App& cmd, Options& o) {
    cmd.add_option("--base", o.base,
                   "Base model (.safetensors, .safetensors.znn or a folder of them) that "
                   "tensors are coded against");
}

CLI::Option* add_threads(CLI::App& cmd, Options& o, const char* help) {
    return cmd.add_option("-T,--threads", o.threads, help)
        ->type_name("N")
        ->check(CLI::Range(0u, 1024u));
}

// Returns the options, so that one given where nothing compresses can be refused.
std::array<CLI::Option*, 3> add_codec_flags(CLI::App& cmd, Options& o, std::string& dtype) {
    return {
        cmd.add_option("--level", o.level,
                       "Level: 1 (fastest) to 9 (smallest), default 3; -1 ... -9 for short")
            ->type_name("N")
            ->check(CLI::Range(kMinLevel, kMaxLevel)),
        cmd.add_option("--dtype", dtype, kDtypes)
            ->check(CLI::IsMember({"auto", "bf16", "fp16", "fp32", "fp8", "bytes"})),
        cmd.add_option("--chunk-size", o.chunk_size,
                       "Chunk size: a multiple of 8 from 64 B to 64 MiB; K, KiB, M, MiB allowed")
            ->type_name("SIZE")
            ->transform(CLI::AsSizeValue(false))
            ->check(CLI::Range(std::size_t{kMinChunkSize}, std::size_t{kMaxChunkSize}))};
}

void add_verbosity(CLI::App& cmd, Options& o, const char* quiet_help, const char* verbose_help) {
    // As with -k/--rm, the last of -q and -v typed wins.
    if (quiet_help != nullptr)
        cmd.add_flag_callback(
               "-q,--quiet", [&o] { o.verbosity = 0; }, quiet_help)
            ->trigger_on_parse();
    cmd.add_flag_callback(
           "-v,--verbose", [&o] { o.verbosity = 2; }, verbose_help)
        ->trigger_on_parse();
}

constexpr const char* kQuietFiles = "Print errors only: no progress, no summary";
constexpr const char* kVerboseFiles =
    "Print a summary line per file, with its speed (on a terminal, the line comes without -v)";

// --- zstd's -1 ... -9, which CLI11 cannot express. ---

// Options whose value is the next argument: a "-5" there is a value, not a level.
bool takes_value(std::string_view arg) {
    for (const std::string_view name : {"-o", "--output", "-T", "--threads", "--dtype",
                                        "--chunk-size", "--seconds", "--level", "--base"})
        if (arg == name) return true;
    // A cluster of short flags ending in one that takes a value: "-cT 4", "-fo out".
    return arg.size() > 2 && arg[0] == '-' && arg[1] != '-' &&
           (arg.back() == 'o' || arg.back() == 'T') &&
           std::all_of(arg.begin() + 1, arg.end(), [](char c) { return std::isalpha(c); });
}

bool is_level_arg(std::string_view arg) {
    return arg.size() >= 2 && arg[0] == '-' &&
           std::all_of(arg.begin() + 1, arg.end(), [](char c) { return std::isdigit(c); });
}

// Takes "-N" out of args (CLI11 would read it as a file) and returns it, last one winning.
std::optional<std::string> take_level(std::vector<std::string>& args) {
    std::optional<std::string> level;
    std::vector<std::string> kept;
    bool value_next = false;
    bool positional_only = false;
    for (std::string& arg : args) {
        if (!positional_only && !value_next && is_level_arg(arg)) {
            level = arg;
            continue;
        }
        positional_only = positional_only || (arg == "--" && !value_next);
        value_next = !positional_only && !value_next && takes_value(arg);
        kept.push_back(std::move(arg));
    }
    args = std::move(kept);
    return level;
}

// --- "did you mean". ---

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

// Without a subcommand the arguments are files, as in zstd. A first one that is no file
// but a word is most likely a subcommand mistyped: that is a usage error, not a missing file.
void check_first_file(const std::string& first) {
    std::error_code ec;
    if (first == "-" ||
        std::filesystem::symlink_status(first, ec).type() != std::filesystem::file_type::not_found)
        return;
    std::string_view best;
    std::size_t best_distance = 3;  // at most 2 edits
    for (const std::string_view sub : kSubcommands) {
        const std::size_t d = edit_distance(first, sub);
        const bool prefix = first.size() >= 3 && sub.starts_with(first);
        if (prefix || d < best_distance) {
            best = sub;
            best_distance = prefix ? 0 : d;
        }
    }
    if (!best.empty())
        throw UsageProblem{"unknown subcommand '" + first + "'; did you mean '" +
                           std::string(best) + "'?"};
    if (first.find_first_of("./") == std::string::npos)
        throw UsageProblem{"'" + first +
                           "' is neither a file nor a subcommand (compress, decompress, test, "
                           "list, bench, index, extract, mount); see 'znn --help'"};
}

// CLI11's messages start with a capital and end without a hint.
std::string usage_message(const CLI::ParseError& e, const std::string& sub) {
    std::string text = e.what();
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text + " (see 'znn " + (sub.empty() ? "" : sub + " ") + "--help')";
}

}  // namespace

int parse_command_line(int argc, char** argv, Options& o) {
    CLI::App app{"znn: fast lossless compression for AI model weights", "znn"};
    app.set_version_flag("-V,--version", std::string("znn ") + ZNN_VERSION);
    app.require_subcommand(0, 1);

    std::string dtype = "auto";
    std::optional<Mode> flag_mode;
    // The form without a subcommand takes the file subcommands' flags, and all forms take
    // the common ones before the subcommand.
    add_mode_flags(app, flag_mode);
    app.add_option("files", o.inputs, "Files or folders to compress, or with -d, -t, -l");
    add_output_flags(app, o);
    CLI::Option* top_threads = add_threads(app, o, "Worker threads (default 0: one per core)");
    add_base(app, o);
    const auto top_codec_flags = add_codec_flags(app, o, dtype);
    add_verbosity(app, o, kQuietFiles, kVerboseFiles);

    auto* compress = app.add_subcommand("compress", "Compress files, folders or stdin to .znn");
    compress->add_option("files", o.inputs, "Files or folders ('-' or none: stdin)");
    add_output_flags(*compress, o);
    add_threads(*compress, o, "Worker threads (default 0: one per core)");
    add_base(*compress, o);
    add_codec_flags(*compress, o, dtype);
    add_verbosity(*compress, o, kQuietFiles, kVerboseFiles);

    auto* decompress =
        app.add_subcommand("decompress", "Restore files, folders or stdin from .znn");
    decompress->add_option("files", o.inputs, "Files or folders ('-' or none: stdin)");
    add_output_flags(*decompress, o);
    add_threads(*decompress, o, "Worker threads (default 0: one per core)");
    add_base(*decompress, o);
    add_verbosity(*decompress, o, kQuietFiles, kVerboseFiles);

    auto* test = app.add_subcommand("test", "Decode and verify .znn files, writing nothing");
    test->add_option("files", o.inputs, "Files or folders ('-' or none: stdin)");
    add_threads(*test, o, "Worker threads (default 0: one per core)");
    add_base(*test, o);
    add_verbosity(*test, o, kQuietFiles, kVerboseFiles);

    auto* list = app.add_subcommand(
        "list", "Show sizes, ratio, chunks, layouts and checksum of .znn files (folders: all)");
    list->alias("info");
    list->add_option("files", o.inputs, "The .znn files, or folders to list every .znn in")
        ->required();
    add_verbosity(*list, o, "Print errors only: the exit status says whether all are .znn files",
                  "Also show every frame and the bytes of each layout");
    list->add_flag("--tensors", o.list_tensors,
                   "List the tensors of safetensors content: dtype, shape, size, chunks");

    auto* bench = app.add_subcommand("bench", "In-memory ratio and speed against zstd -1 and -3");
    bench->add_option("files", o.inputs, "Files to benchmark")->required();
    CLI::Option* bench_threads = add_threads(
        *bench, o, "znn threads (default 1; 0: one per core); zstd gets as many workers");
    bench->add_option("--seconds", o.bench_seconds, "Minimum time per measurement (default 1)")
        ->check(CLI::Range(0.0, 60.0));
    add_codec_flags(*bench, o, dtype);
    add_verbosity(*bench, o, nullptr, "Also say how many runs each figure is the best of");

    auto* index =
        app.add_subcommand("index", "Sync *.index.json weight maps with the files present");
    index->add_option("paths", o.inputs, "Folders or index files")->required();
    index->add_flag("--check", o.check_only, "Change nothing; exit 1 if an index is out of sync");
    add_verbosity(*index, o, "Print errors only; the exit status still tells",
                  "Also name each index that is in sync, and count them");

    const AccessCommands access = add_access_commands(app, o);

    // Set last: subcommands would inherit it.
    app.footer(
        "Without a subcommand, as zstd: znn FILE... compresses, -d decompresses, -t tests, -l "
        "lists.\nOptions may come before the subcommand too: znn -v -T4 compress FILE.");

    std::vector<std::string> args(argv + 1, argv + argc);
    std::string sub;
    try {
        const std::optional<std::string> level = take_level(args);
        if (level) {
            int value = kMaxLevel + 1;
            try {
                value = std::stoi(level->substr(1));
            } catch (const std::out_of_range&) {  // digits past int's range: out of ours too
            }
            if (value < kMinLevel || value > kMaxLevel)
                throw UsageProblem{*level + ": level out of range (" + std::to_string(kMinLevel) +
                                   " to " + std::to_string(kMaxLevel) + ")"};
            o.level = value;
        }
        std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
        app.parse(args);
        if (!app.get_subcommands().empty()) sub = app.get_subcommands().front()->get_name();
        // A level, dtype or chunk size where nothing is compressed is a mistake to point out.
        const bool compressing =
            compress->parsed() || bench->parsed() ||
            (sub.empty() && flag_mode.value_or(Mode::compress) == Mode::compress);
        if (level && !compressing)
            throw UsageProblem{*level + ": a level is for compress and bench only"};
        for (const CLI::Option* flag : top_codec_flags)
            if (flag->count() > 0 && !compressing)
                throw UsageProblem{flag->get_name() + ": for compress and bench only"};
        if (!sub.empty() && flag_mode)
            throw UsageProblem{"-z, -d, -t and -l stand for a subcommand; give one or the other"};
        if (sub.empty()) {
            if (!flag_mode && o.inputs.empty() && !o.to_stdout)
                throw UsageProblem{"no subcommand or file given (see 'znn --help')"};
            if (flag_mode == Mode::list && o.inputs.empty())
                throw UsageProblem{"-l needs at least one file"};
            if (!flag_mode && !o.inputs.empty()) check_first_file(o.inputs.front());
        }
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (!app.get_subcommands().empty()) sub = app.get_subcommands().front()->get_name();
        print_error("", usage_message(e, sub));
        return kExitUsage;
    } catch (const UsageProblem& e) {
        print_error("", e.message);
        return kExitUsage;
    }

    o.mode = flag_mode.value_or(Mode::compress);
    if (compress->parsed()) o.mode = Mode::compress;
    if (decompress->parsed()) o.mode = Mode::decompress;
    if (test->parsed()) o.mode = Mode::test;
    if (list->parsed()) o.mode = Mode::list;
    if (index->parsed()) o.mode = Mode::index;
    if (bench->parsed()) {
        o.mode = Mode::bench;
        // One thread unless asked: the figures compare single-threaded codecs.
        if (top_threads->count() == 0 && bench_threads->count() == 0) o.threads = 1;
    }
    if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
    if (const int code = finish_access_commands(access, o); code >= 0) return code;
    o.dtype = *parse_dtype(dtype);
    if (o.chunk_size % 8 != 0) {
        print_error("", "--chunk-size must be a multiple of 8");
        return kExitUsage;
    }
    set_verbosity(o.verbosity);
    return -1;
}

}  // namespace znn::cli
