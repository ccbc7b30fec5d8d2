// Checking a frame's dependency block against the base model the caller gave.
#pragma once

#include <vector>

#include "format/dependency.hpp"
#include "znn/base.hpp"

namespace znn {

// The base tensor of each dependency entry. Throws BaseError when base is null (naming the
// base the frame needs) or when a tensor is missing or differs in size or, with
// `checksums`, in XXH3-64 (naming the first such tensor, in dependency order). With
// `checksums` it reads every tensor it checks; without, the caller checks them later
// (check_base_checksums).
std::vector<const BaseTensor*> match_dependency(const Dependency& dependency, const BaseModel* base,
                                                bool checksums = true);

// Throws BaseError naming the first entry whose tensor's XXH3-64 is not sums[i].
void check_base_checksums(const Dependency& dependency, const BaseModel& base,
                          const std::vector<std::uint64_t>& sums);

// Throws BaseError if entry `index`'s tensor is not the one the frame was coded against
// (reads it whole, once per base).
void check_base_tensor(const Dependency& dependency, std::size_t index, const BaseModel& base);

}  // namespace znn
