#include "format/dependency.hpp"

#include "common/bytes_io.hpp"
#include "format/checksum.hpp"
#include "znn/errors.hpp"

namespace znn {

namespace {

void append_string(const std::string& text, std::vector<std::uint8_t>& out) {
    if (text.size() > UINT16_MAX) throw UsageError("name too long for a .znn file: " + text);
    std::uint8_t size[2];
    store_le<std::uint16_t>(size, static_cast<std::uint16_t>(text.size()));
    out.insert(out.end(), size, size + 2);
    out.insert(out.end(), text.begin(), text.end());
}

template <class T>
void append_le(T value, std::vector<std::uint8_t>& out) {
    std::uint8_t bytes[sizeof(T)];
    store_le<T>(bytes, value);
    out.insert(out.end(), bytes, bytes + sizeof(T));
}

// Reads the body front to back, every length checked against what remains.
class BodyReader {
  public:
    explicit BodyReader(std::span<const std::uint8_t> body) : body_(body) {}
    template <class T>
    T number() {
        need(sizeof(T));
        const T v = load_le<T>(body_.data() + at_);
        at_ += sizeof(T);
        return v;
    }
    std::string text() {
        const auto size = number<std::uint16_t>();
        need(size);
        std::string s(reinterpret_cast<const char*>(body_.data() + at_), size);
        at_ += size;
        return s;
    }
    bool done() const noexcept { return at_ == body_.size(); }

  private:
    void need(std::size_t size) const {
        if (size > body_.size() - at_) throw FormatError("corrupt dependency block (truncated)");
    }
    std::span<const std::uint8_t> body_;
    std::size_t at_ = 0;
};

}  // namespace

std::uint64_t Dependency::base_checksum() const noexcept {
    ContentChecksum sum;
    for (const DependencyTensor& t : tensors) sum.add(t.size, t.checksum);
    return sum.digest();
}

void write_dependency_block(const Dependency& dependency, std::vector<std::uint8_t>& out) {
    std::vector<std::uint8_t> body;
    append_le<std::uint64_t>(dependency.base_checksum(), body);
    append_le<std::uint32_t>(static_cast<std::uint32_t>(dependency.tensors.size()), body);
    append_string(dependency.hint, body);
    for (const DependencyTensor& t : dependency.tensors) {
        append_string(t.name, body);
        append_le<std::uint64_t>(t.size, body);
        append_le<std::uint64_t>(t.checksum, body);
    }
    if (body.size() > kMaxDependencyBody)
        throw UsageError("too many base tensors for one dependency block");
    out.push_back(kDependencyBlockType);
    out.insert(out.end(), 3, 0);
    append_le<std::uint32_t>(static_cast<std::uint32_t>(body.size()), out);
    out.insert(out.end(), body.begin(), body.end());
}

std::uint32_t parse_dependency_prefix(std::span<const std::uint8_t, kDependencyPrefixSize> prefix) {
    if (prefix[0] != kDependencyBlockType)
        throw FormatError("corrupt frame (dependency block missing)");
    if (prefix[1] != 0 || prefix[2] != 0 || prefix[3] != 0)
        throw FormatError("corrupt dependency block (reserved bytes set)");
    const auto size = load_le<std::uint32_t>(prefix.data() + 4);
    if (size > kMaxDependencyBody) throw FormatError("corrupt dependency block (size)");
    return size;
}

Dependency parse_dependency_body(std::span<const std::uint8_t> body) {
    BodyReader in(body);
    Dependency d;
    const auto checksum = in.number<std::uint64_t>();
    const auto count = in.number<std::uint32_t>();
    d.hint = in.text();
    // Each tensor takes at least 18 bytes: a count beyond that is corrupt, not a reason to
    // reserve memory.
    if (count > body.size() / 18) throw FormatError("corrupt dependency block (tensor count)");
    d.tensors.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        DependencyTensor t;
        t.name = in.text();
        t.size = in.number<std::uint64_t>();
        t.checksum = in.number<std::uint64_t>();
        d.tensors.push_back(std::move(t));
    }
    if (!in.done()) throw FormatError("corrupt dependency block (trailing bytes)");
    if (d.base_checksum() != checksum) throw FormatError("corrupt dependency block (checksum)");
    return d;
}

}  // namespace znn
