#pragma once
// Private: request counters and latency histograms, rendered as Prometheus text (format 0.0.4).

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace tessera::rest {

/// Appends one unlabelled sample with its HELP and TYPE lines; `type` is "counter" or "gauge".
void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value);

class Metrics {
public:
    /// Records one answered request. `route` is the route template ("/api/plans/{id}"), never the
    /// raw path, and a `method` outside RFC 9110's and RFC 5789's is counted as "other", so the label
    /// set stays bounded whatever clients send.
    void observe(std::string_view route, std::string_view method, int status, double seconds);
    /// Counts a failure of the store seen while answering (unavailable, timeout, internal).
    void store_error(std::string_view code);
    /// The label value of `method`: itself if it is a standard method, else "other".
    static std::string_view method_label(std::string_view method) noexcept;
    /// The exposition text.
    std::string render() const;

private:
    static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    struct Histogram {
        std::array<std::uint64_t, kBuckets.size()> buckets{};
        std::uint64_t count = 0;
        double sum = 0;
    };
    // Orders (route, method, status) keys held as strings and looked up as views alike (std::less<>
    // would compare tuples of different element types, which not every standard library allows).
    struct LabelsLess {
        using is_transparent = void;
        template <class A, class B>
        bool operator()(const A& a, const B& b) const noexcept {
            return view(a) < view(b);
        }
        template <class T>
        static std::tuple<std::string_view, std::string_view, int> view(const T& key) noexcept {
            return {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
        }
    };
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t, LabelsLess> requests_;
    std::map<std::string, Histogram, std::less<>> latency_;
    std::map<std::string, std::uint64_t, std::less<>> store_errors_;
};

}  // namespace tessera::rest
