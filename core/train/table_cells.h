// Cells of the tables a sweep or a probe run writes for people and for pandas: numbers in short form (empty when not
// finite), CSV fields quoted only when they must be (RFC 4180), and JSON numbers that are null when not finite.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace moe {

inline std::string table_number(double x, const char* format = "%.6g") {
    if (!std::isfinite(x)) return "";
    char buf[48];
    std::snprintf(buf, sizeof buf, format, x);
    return buf;
}

inline std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

inline nlohmann::json json_number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

}  // namespace moe
