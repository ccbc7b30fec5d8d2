#include "pipeline/base_match.hpp"

#include "znn/errors.hpp"

namespace znn {

std::vector<const BaseTensor*> match_dependency(const Dependency& dependency,
                                                const BaseModel* base) {
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
        if (b->size != t.size || base->checksum(*b) != t.checksum)
            throw BaseError("wrong base: tensor " + t.name + " of " + base->hint() +
                            " differs from the one it was compressed against (in '" +
                            dependency.hint + "')");
        tensors.push_back(b);
    }
    return tensors;
}

}  // namespace znn
