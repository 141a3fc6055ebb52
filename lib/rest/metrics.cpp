#include "rest/metrics.hpp"

#include <fmt/format.h>

#include <array>

namespace tessera::rest {

void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

std::string_view Metrics::method_label(std::string_view method) noexcept {
    static constexpr std::array<std::string_view, 9> kStandard{"GET",    "HEAD",    "POST",  "PUT",  "DELETE",
                                                               "OPTIONS", "PATCH", "TRACE", "CONNECT"};
    for (const auto known : kStandard) {
        if (method == known) return known;
    }
    return "other";
}

void Metrics::observe(std::string_view route, std::string_view raw_method, int status, double seconds) {
    const std::string_view method = method_label(raw_method);
    std::lock_guard lock(mutex_);
    // Look up with views; allocate the key only the first time a label set is seen.
    const auto view = std::make_tuple(route, method, status);
    auto counter = requests_.find(view);
    if (counter == requests_.end()) counter = requests_.emplace(std::make_tuple(std::string(route), std::string(method), status), 0).first;
    ++counter->second;
    auto it = latency_.find(route);
    if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram{}).first;
    auto& h = it->second;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum += seconds;
}

void Metrics::store_error(std::string_view code) {
    std::lock_guard lock(mutex_);
    auto it = store_errors_.find(code);
    if (it == store_errors_.end()) it = store_errors_.emplace(std::string(code), 0).first;
    ++it->second;
}

std::string Metrics::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    out += "# HELP tessera_http_requests_total HTTP requests answered, by route template, method and status.\n";
    out += "# TYPE tessera_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
        const auto& [route, method, status] = key;
        out += fmt::format("tessera_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n", route,
                           method, status, count);
    }
    out += "# HELP tessera_http_request_duration_seconds Time to answer a request, by route template.\n";
    out += "# TYPE tessera_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            out += fmt::format("tessera_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
                               kBuckets[i], h.buckets[i]);
        }
        out += fmt::format("tessera_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route,
                           h.count);
        out += fmt::format("tessera_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
        out += fmt::format("tessera_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
    }
    out += "# HELP tessera_store_errors_total Store failures seen while answering requests, by error code.\n";
    out += "# TYPE tessera_store_errors_total counter\n";
    if (store_errors_.empty()) out += "tessera_store_errors_total{code=\"unavailable\"} 0\n";
    for (const auto& [code, count] : store_errors_) {
        out += fmt::format("tessera_store_errors_total{{code=\"{}\"}} {}\n", code, count);
    }
    return out;
}

}  // namespace tessera::rest
