#include "pipeline/base_match.hpp"

#include "znn/errors.hpp"

namespace znn {

namespace {

[[noreturn]] void tensor_differs(const Dependency& dependency, const DependencyTensor& t,
                                 const BaseModel& base) {
    throw BaseError("wrong base: tensor " + t.name + " of " + base.hint() +
                    " differs from the one it was compressed against (in '" + dependency.hint +
                    "')");
}

}  // namespace

std::vector<const BaseTensor*> match_dependency(const Dependency& dependency, const BaseModel* base,
                                                bool checksums) {
    if (base == nullptr)
        throw BaseError("compressed against base model '" + dependency.hint +
                        "': give it with --base");
    std::vector<const BaseTensor*> tensors;
    tensors.reserve(dependency.tensors.size());
    for (const DependencyTensor& t : dependency.tensors) {
        const BaseTensor* b = base->find(t.name);
        if (b == nullptr)
            throw BaseError("wrong base: " + base->hint() + " has no tensor " + t.name +
                            " (compressed against '" + dependency.hint + "')");
        if (b->size != t.size || (checksums && base->checksum(*b) != t.checksum))
            tensor_differs(dependency, t, *base);
        tensors.push_back(b);
    }
    return tensors;
}

void check_base_checksums(const Dependency& dependency, const BaseModel& base,
                          const std::vector<std::uint64_t>& sums) {
    for (std::size_t i = 0; i < dependency.tensors.size(); ++i)
        if (sums.at(i) != dependency.tensors[i].checksum)
            tensor_differs(dependency, dependency.tensors[i], base);
}

void check_base_tensor(const Dependency& dependency, std::size_t index, const BaseModel& base) {
    const DependencyTensor& t = dependency.tensors.at(index);
    const BaseTensor* b = base.find(t.name);
    if (b == nullptr || b->size != t.size || base.checksum(*b) != t.checksum)
        tensor_differs(dependency, t, base);
}

}  // namespace znn
