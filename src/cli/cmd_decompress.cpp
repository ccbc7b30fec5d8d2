// znn decompress: .znn files, folders or stdin back to the original bytes; each output is
// named after its input with ".znn" stripped.
#include "commands.hpp"
#include "console.hpp"
#include "file_job.hpp"

namespace znn::cli {

int run_decompress(const Options& options) {
    const auto target_for = [](const std::string& input,
                               const Options& o) -> std::optional<std::string> {
        std::string target = output_name_for(o.mode, input);
        if (target.empty() && !o.to_stdout) {
            print_error(input,
                        "unknown suffix (expected .znn) -- ignored; to decompress it anyway, "
                        "name the output with -o (or write to stdout with -c)");
            return std::nullopt;
        }
        return target;
    };
    return run_inputs(options, target_for) ? kExitOk : kExitError;
}

}  // namespace znn::cli
