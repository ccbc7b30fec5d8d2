#include "planes/plane_shape.hpp"

#include <algorithm>

#include "planes/bf16x.hpp"
#include "planes/fp8.hpp"

namespace znn {

PlaneShape plane_shape(Layout layout, unsigned phase, std::size_t size) noexcept {
    PlaneShape shape;
    if (layout == Layout::fp8) {  // one element a byte: no leading or trailing bytes
        shape.count = 2;
        shape.elements = size;
        shape.sizes[0] = size;
        shape.sizes[1] = packed_signs_size(size);
        return shape;
    }
    const unsigned w = layout_width(layout);
    shape.count = w;
    shape.leading = std::min<std::size_t>(phase, size);
    shape.elements = (size - shape.leading) / w;
    for (unsigned i = 0; i < w; ++i) shape.sizes[i] = shape.elements;
    if (layout == Layout::bf16x) shape.sizes[1] = packed7_size(shape.elements);
    shape.sizes[w - 1] += size - shape.elements * w;
    return shape;
}

}  // namespace znn
