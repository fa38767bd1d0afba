// Minimal type-list tools for Network's flat item list (no recursion depth per layer).
#pragma once

#include <sanenet/core/config.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace sanenet::inline SANENET_ABI::detail {

template <class... Ts>
struct type_list {
    static constexpr std::size_t size = sizeof...(Ts);
};

template <class... As, class... Bs>
type_list<As..., Bs...> operator+(type_list<As...>, type_list<Bs...>);

// The items of Ts for which Keep<T>::value holds, in order.
template <template <class> class Keep, class... Ts>
using filter = decltype((type_list<>{} + ... + std::conditional_t<Keep<Ts>::value, type_list<Ts>, type_list<>>{}));

// The I-th type of a list, or void when I is out of range (so error paths never fail twice).
template <std::size_t I, class List>
struct at_or_void {
    using type = void;
};
template <std::size_t I, class... Ts>
    requires(I < sizeof...(Ts))
struct at_or_void<I, type_list<Ts...>> {
    using type = std::tuple_element_t<I, std::tuple<Ts...>>;
};
template <std::size_t I, class List>
using at_or_void_t = typename at_or_void<I, List>::type;

}  // namespace sanenet::detail
