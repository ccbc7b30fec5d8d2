// The safetensors header tensor by tensor (names, shapes and metadata too), for extracting
// tensors and listing them. Compression planning keeps its own event parser in
// safetensors.cpp, which skips everything but dtypes and offsets and builds no tree.
#include <algorithm>
#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/bytes_io.hpp"
#include "model/safetensors.hpp"
#include "znn/errors.hpp"
#include "znn/safetensors.hpp"

namespace znn {

namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& tensor, const std::string& what) {
    throw FormatError("not a valid safetensors header: " +
                      (tensor.empty() ? what : "tensor \"" + tensor + "\": " + what));
}

std::uint64_t element_count(const TensorInfo& t) {
    std::uint64_t count = 1;
    for (const std::uint64_t d : t.shape)
        if (__builtin_mul_overflow(count, d, &count)) fail(t.name, "shape too large");
    return count;
}

// The checks of one tensor once its entry has been read.
void check_tensor(const TensorInfo& t, std::uint64_t data_size) {
    if (t.end < t.begin) fail(t.name, "data_offsets reversed");
    if (t.end > data_size) fail(t.name, "data_offsets run past the end of the file");
    if (const unsigned width = safetensors_dtype_size(t.dtype); width != 0) {
        std::uint64_t bytes = 0;
        if (__builtin_mul_overflow(element_count(t), std::uint64_t{width}, &bytes) ||
            bytes != t.size())
            fail(t.name, "shape and dtype do not match data_offsets");
    }
}

// Builds one JSON value (the __metadata__ object) from the parser's events, and hands it to
// `done` once complete.
class ValueBuilder {
  public:
    explicit ValueBuilder(std::function<void(Json&&)> done) : done_(std::move(done)) {}

    bool null() { return scalar(nullptr); }
    bool boolean(bool v) { return scalar(v); }
    bool number_integer(Json::number_integer_t v) { return scalar(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return scalar(v); }
    bool number_float(Json::number_float_t v, const Json::string_t&) { return scalar(v); }
    bool string(Json::string_t& v) { return scalar(std::move(v)); }
    bool start_object(std::size_t) { return open(Json::object()); }
    bool start_array(std::size_t) { return open(Json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(Json::string_t& k) {
        key_ = std::move(k);
        return true;
    }

  private:
    // Adds v where the parser is: as the value, or into the innermost container. Pointers
    // on the stack stay valid: only the innermost container ever grows.
    Json* add(Json&& v) {
        if (stack_.empty()) {
            value_ = std::move(v);
            return &value_;
        }
        Json& parent = *stack_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(v));
            return &parent.back();
        }
        Json& slot = parent[key_];
        slot = std::move(v);
        return &slot;
    }
    bool scalar(Json&& v) {
        add(std::move(v));
        if (stack_.empty()) done_(std::move(value_));
        return true;
    }
    bool open(Json&& v) {
        stack_.push_back(add(std::move(v)));
        return true;
    }
    bool close() {
        stack_.pop_back();
        if (stack_.empty()) done_(std::move(value_));
        return true;
    }

    std::function<void(Json&&)> done_;
    std::string key_;
    Json value_;
    std::vector<Json*> stack_;
};

// The header's events: each tensor's fields go straight into a TensorInfo (a header can list
// thousands: one ordered object of them searched its keys on every insertion, quadratic in
// their count), and __metadata__ into a small tree of its own. Errors throw FormatError.
class HeaderEvents {
  public:
    HeaderEvents(SafetensorsHeader& header, std::uint64_t data_size)
        : header_(header), data_size_(data_size) {}

    bool null() { return metadata_ ? forward_scalar(metadata_->null()) : scalar(); }
    bool boolean(bool v) { return metadata_ ? forward_scalar(metadata_->boolean(v)) : scalar(); }
    bool number_integer(Json::number_integer_t v) {
        return metadata_ ? forward_scalar(metadata_->number_integer(v)) : scalar();
    }
    bool number_float(Json::number_float_t v, const Json::string_t& text) {
        return metadata_ ? forward_scalar(metadata_->number_float(v, text)) : scalar();
    }
    bool binary(Json::binary_t&) { return false; }
    bool number_unsigned(Json::number_unsigned_t v) {
        if (metadata_) return forward_scalar(metadata_->number_unsigned(v));
        if (skip_ > 0 || depth_ != 3) return scalar();
        (field_ == Field::shape ? tensor_.shape : offsets_).push_back(v);
        return true;
    }
    bool string(Json::string_t& v) {
        if (metadata_) return forward_scalar(metadata_->string(v));
        if (skip_ > 0 || depth_ != 2 || field_ != Field::dtype) return scalar();
        tensor_.dtype = std::move(v);
        has_dtype_ = true;
        return true;
    }
    bool start_object(std::size_t n) {
        if (metadata_) return enter() && metadata_->start_object(n);
        if (skip_ > 0 || (depth_ == 2 && field_ == Field::other)) return ++skip_ > 0;
        if (depth_ <= 1) return enter();  // the root, or a tensor's entry
        return scalar();                  // an object where a field's value should be
    }
    bool start_array(std::size_t n) {
        if (metadata_) return enter() && metadata_->start_array(n);
        if (skip_ > 0 || (depth_ == 2 && field_ == Field::other)) return ++skip_ > 0;
        if (depth_ != 2 || field_ == Field::dtype) return scalar();
        (field_ == Field::shape ? has_shape_ : has_offsets_) = true;
        return enter();
    }
    bool end_object() { return metadata_ ? forward_end(metadata_->end_object()) : end(); }
    bool end_array() { return metadata_ ? forward_end(metadata_->end_array()) : end(); }
    bool key(Json::string_t& k) {
        if (metadata_) return metadata_->key(k);
        if (skip_ > 0) return true;
        if (depth_ == 2) {
            field_ = k == "dtype"          ? Field::dtype
                     : k == "shape"        ? Field::shape
                     : k == "data_offsets" ? Field::offsets
                                           : Field::other;
        } else if (k == "__metadata__") {  // depth 1: a key of the root
            if (has_metadata_) fail("", "__metadata__ listed twice");
            has_metadata_ = true;
            metadata_.emplace([this](Json&& value) {
                if (!value.is_object()) fail("", "__metadata__ is not an object");
                header_.metadata = value.dump();
            });
        } else {
            tensor_ = TensorInfo{};
            tensor_.name = std::move(k);
            offsets_.clear();
            has_dtype_ = has_shape_ = has_offsets_ = false;
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return false;
    }

  private:
    enum class Field { dtype, shape, offsets, other };

    bool enter() {
        ++depth_;
        return true;
    }
    // A value the header has no business holding where the parser is; throws, except in a
    // field nobody reads.
    bool scalar() {
        if (skip_ > 0 || (depth_ == 2 && field_ == Field::other)) return true;
        if (depth_ == 0) fail("", "not a JSON object");
        if (depth_ == 1) fail(tensor_.name, "not an object");
        if (field_ == Field::dtype) fail(tensor_.name, "no dtype string");
        if (field_ == Field::shape) fail(tensor_.name, "shape is not a list of sizes");
        fail(tensor_.name, "data_offsets is not two offsets");
    }
    bool end() {
        if (skip_ > 0) {
            --skip_;
            return true;
        }
        if (--depth_ == 1) finish_tensor();
        return true;
    }
    // After a metadata event: the value is complete once the parser is back in the root.
    bool forward_scalar(bool ok) {
        if (depth_ == 1) metadata_.reset();
        return ok;
    }
    bool forward_end(bool ok) {
        --depth_;
        return forward_scalar(ok);
    }
    void finish_tensor() {
        if (!has_dtype_) fail(tensor_.name, "no dtype string");
        if (!has_shape_) fail(tensor_.name, "no shape");
        if (!has_offsets_ || offsets_.size() != 2)
            fail(tensor_.name, "data_offsets is not two offsets");
        tensor_.begin = offsets_[0];
        tensor_.end = offsets_[1];
        check_tensor(tensor_, data_size_);
        if (!names_.insert(tensor_.name).second) fail(tensor_.name, "listed twice");
        header_.tensors.push_back(std::move(tensor_));
    }

    SafetensorsHeader& header_;
    const std::uint64_t data_size_;
    std::optional<ValueBuilder> metadata_;  // while the parser is inside __metadata__
    bool has_metadata_ = false;
    int depth_ = 0;           // 1: in the root object, 2: in a tensor's entry, 3: in its lists
    std::uint64_t skip_ = 0;  // depth inside the value of a field nobody reads
    Field field_ = Field::other;
    TensorInfo tensor_;
    std::vector<std::uint64_t> offsets_;
    bool has_dtype_ = false;
    bool has_shape_ = false;
    bool has_offsets_ = false;
    std::unordered_set<std::string> names_;
};

}  // namespace

const TensorInfo* SafetensorsHeader::find(std::string_view name) const noexcept {
    const auto it = std::find_if(tensors.begin(), tensors.end(),
                                 [&](const TensorInfo& t) { return t.name == name; });
    return it == tensors.end() ? nullptr : &*it;
}

unsigned safetensors_dtype_size(std::string_view dtype) noexcept {
    static constexpr std::array<std::pair<std::string_view, unsigned>, 15> kSizes = {{
        {"BOOL", 1},
        {"U8", 1},
        {"I8", 1},
        {"F8_E4M3", 1},
        {"F8_E5M2", 1},
        {"I16", 2},
        {"U16", 2},
        {"F16", 2},
        {"BF16", 2},
        {"I32", 4},
        {"U32", 4},
        {"F32", 4},
        {"I64", 8},
        {"U64", 8},
        {"F64", 8},
    }};
    for (const auto& [name, size] : kSizes)
        if (name == dtype) return size;
    return 0;
}

SafetensorsHeader parse_safetensors_header(std::string_view json, std::uint64_t data_size) {
    SafetensorsHeader header;
    header.data_start = 8 + json.size();
    HeaderEvents events(header, data_size);
    if (!Json::sax_parse(json.begin(), json.end(), &events, Json::input_format_t::json,
                         /*strict=*/true))
        fail("", "not JSON");
    std::vector<const TensorInfo*> by_offset;
    for (const TensorInfo& t : header.tensors) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (std::size_t i = 1; i < by_offset.size(); ++i)
        if (by_offset[i]->begin < by_offset[i - 1]->end)
            fail(by_offset[i]->name, "overlaps tensor \"" + by_offset[i - 1]->name + "\"");
    return header;
}

SafetensorsHeader read_safetensors_header(std::uint64_t size, const ReadAt& read_at) {
    if (size < 8) throw FormatError("not a safetensors file (too short)");
    std::array<std::uint8_t, 8> first{};
    read_at(0, first);
    const auto json_size = safetensors_json_size(first);
    if (!json_size || *json_size > size - 8)
        throw FormatError("not a safetensors file (bad header length)");
    std::string json(*json_size, '\0');
    read_at(8, {reinterpret_cast<std::uint8_t*>(json.data()), json.size()});
    if (json.front() != '{') throw FormatError("not a safetensors file (no JSON header)");
    return parse_safetensors_header(json, size - 8 - *json_size);
}

std::vector<std::uint8_t> make_safetensors_header(std::span<const TensorInfo> tensors,
                                                  std::string_view metadata) {
    Json root = Json::object();
    if (!metadata.empty()) {
        Json meta = Json::parse(metadata, nullptr, /*allow_exceptions=*/false);
        if (!meta.is_object()) throw FormatError("safetensors metadata is not a JSON object");
        root["__metadata__"] = std::move(meta);
    }
    for (const TensorInfo& t : tensors) {
        Json entry = Json::object();
        entry["dtype"] = t.dtype;
        entry["shape"] = t.shape;
        entry["data_offsets"] = {t.begin, t.end};
        root[t.name] = std::move(entry);
    }
    std::string json = root.dump();
    json.append((8 - json.size() % 8) % 8, ' ');  // the data then starts 8-byte aligned
    std::vector<std::uint8_t> out(8 + json.size());
    store_le<std::uint64_t>(out.data(), json.size());
    std::copy(json.begin(), json.end(), out.begin() + 8);
    return out;
}

}  // namespace znn
