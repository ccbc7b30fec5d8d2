// The safetensors header tensor by tensor (names, shapes and metadata too), for extracting
// tensors and listing them. Compression planning keeps its own event parser in
// safetensors.cpp, which skips everything but dtypes and offsets and builds no tree.
#include <algorithm>
#include <array>
#include <functional>
#include <nlohmann/json.hpp>
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

TensorInfo parse_tensor(const std::string& name, const Json& entry, std::uint64_t data_size) {
    if (!entry.is_object()) fail(name, "not an object");
    TensorInfo t;
    t.name = name;
    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) fail(name, "no dtype string");
    t.dtype = dtype->get<std::string>();
    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array()) fail(name, "no shape");
    for (const Json& d : *shape) {
        if (!d.is_number_unsigned()) fail(name, "shape is not a list of sizes");
        t.shape.push_back(d.get<std::uint64_t>());
    }
    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
        fail(name, "data_offsets is not two offsets");
    t.begin = (*offsets)[0].get<std::uint64_t>();
    t.end = (*offsets)[1].get<std::uint64_t>();
    if (t.end < t.begin) fail(name, "data_offsets reversed");
    if (t.end > data_size) fail(name, "data_offsets run past the end of the file");
    if (const unsigned width = safetensors_dtype_size(t.dtype); width != 0) {
        std::uint64_t bytes = 0;
        if (__builtin_mul_overflow(element_count(t), std::uint64_t{width}, &bytes) ||
            bytes != t.size())
            fail(name, "shape and dtype do not match data_offsets");
    }
    return t;
}

// Builds the value of each top-level key as a small tree of its own and hands it over: one
// ordered object of thousands of tensors searched its keys on every insertion (3 ms for a
// header of 570 tensors, and growing with the square of their count).
class EntryBuilder {
  public:
    using Done = std::function<void(std::string&& key, Json&& value)>;
    explicit EntryBuilder(Done done) : done_(std::move(done)) {}

    bool null() { return scalar(nullptr); }
    bool boolean(bool v) { return scalar(v); }
    bool number_integer(Json::number_integer_t v) { return scalar(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return scalar(v); }
    bool number_float(Json::number_float_t v, const Json::string_t&) { return scalar(v); }
    bool string(Json::string_t& v) { return scalar(std::move(v)); }
    bool binary(Json::binary_t&) { return false; }
    bool start_object(std::size_t) {
        if (!in_root_) return in_root_ = true;
        return open(Json::object());
    }
    bool end_object() { return stack_.empty() || close(); }  // empty: the root ends
    bool start_array(std::size_t) { return in_root_ ? open(Json::array()) : refuse_root(); }
    bool end_array() { return close(); }
    bool key(Json::string_t& k) {
        (stack_.empty() ? top_key_ : key_) = std::move(k);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return false;
    }
    bool not_an_object() const noexcept { return not_an_object_; }

  private:
    // Adds v where the parser is: as the top-level value, or into the innermost container.
    // Pointers on the stack stay valid: only the innermost container ever grows.
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
        if (!in_root_) return refuse_root();
        add(std::move(v));
        if (stack_.empty()) done_(std::move(top_key_), std::move(value_));
        return true;
    }
    bool open(Json&& v) {
        stack_.push_back(add(std::move(v)));
        return true;
    }
    bool close() {
        stack_.pop_back();
        if (stack_.empty()) done_(std::move(top_key_), std::move(value_));
        return true;
    }
    bool refuse_root() {
        not_an_object_ = true;
        return false;
    }

    Done done_;
    bool in_root_ = false;
    bool not_an_object_ = false;
    std::string top_key_;
    std::string key_;
    Json value_;
    std::vector<Json*> stack_;
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
    std::unordered_set<std::string> names;
    EntryBuilder builder([&](std::string&& key, Json&& value) {
        if (key == "__metadata__") {
            if (!value.is_object()) fail("", "__metadata__ is not an object");
            header.metadata = value.dump();
            return;
        }
        if (!names.insert(key).second) fail(key, "listed twice");
        header.tensors.push_back(parse_tensor(key, value, data_size));
    });
    if (!Json::sax_parse(json.begin(), json.end(), &builder, Json::input_format_t::json,
                         /*strict=*/true))
        fail("", builder.not_an_object() ? "not a JSON object" : "not JSON");
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
