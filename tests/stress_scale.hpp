// Stress sizes: full size in optimised builds, smaller under sanitizers
// (ThreadSanitizer runs 5-15x slower) so every test stays within its TIMEOUT.
#pragma once

namespace skein_test {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

#ifdef NDEBUG
inline constexpr bool kOptimised = true;
#else
inline constexpr bool kOptimised = false;
#endif

// `full` in release builds, `reduced` in debug and sanitizer builds.
inline constexpr long scaled(long full, long reduced) { return (kOptimised && !kSanitized) ? full : reduced; }

}  // namespace skein_test
