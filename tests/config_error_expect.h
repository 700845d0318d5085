// Expects a moe::ConfigError whose message contains every fragment (shared by the config tests).
#pragma once

#include "core/error.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace moe::testing {

template <class F>
void expect_config_error(F&& f, std::initializer_list<const char*> fragments) {
    try {
        f();
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        for (const char* frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << "message: " << msg;
    }
}

}  // namespace moe::testing
