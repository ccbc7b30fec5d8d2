// Checking a frame's dependency block against the base model the caller gave.
#pragma once

#include <vector>

#include "format/dependency.hpp"
#include "znn/base.hpp"

namespace znn {

// The base tensor of each dependency entry. Throws BaseError when base is null (naming the
// base the frame needs) or when a tensor is missing or differs in size or XXH3-64 (naming
// the first such tensor, in dependency order). Reads every tensor it checks.
std::vector<const BaseTensor*> match_dependency(const Dependency& dependency,
                                                const BaseModel* base);

}  // namespace znn
