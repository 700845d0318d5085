// Reading JSON that comes from outside (config files, lessons, run folders, checkpoint metadata) safely.
// nlohmann's parser accepts any nesting depth and its dump() recurses, so a hostile 100 KB file of nested brackets
// could overflow the stack in an error message; numbers beyond double's range throw out_of_range, not parse_error.
// parse_json refuses deep nesting before parsing and turns every JSON exception into one message naming the source.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace moe {

// Deeper nesting than any file MoE Lab writes or reads needs (a lesson is 3 levels deep).
inline constexpr int kMaxJsonDepth = 64;

// Parses `text`. Throws FileError "<source>: <problem>" when it is not valid JSON, nests deeper than kMaxJsonDepth
// or holds a number out of range. The caller rethrows as ConfigError where the text is a setting.
nlohmann::json parse_json(std::string_view text, const std::string& source);

// A short description of a value for error messages, at most about 60 characters: "a list of 3 entries", "an object
// of 2 keys", "the string \"abc\"", "the number 1e5", "true", "null". A list or object is never dumped and a long
// string is cut, so a huge or deep value cannot make a huge message.
std::string describe_json_value(const nlohmann::json& value);

}  // namespace moe
