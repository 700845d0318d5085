// A user's text file as a byte dataset.
#include "core/error.h"
#include "datasets/byte_dataset.h"
#include "datasets/dataset.h"
#include "datasets/text_file.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace moe {
namespace {

namespace fs = std::filesystem;

class TextDataTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        dir_ = fs::temp_directory_path() / ("moelab_text_" + std::string(info->name()) + '_' + std::to_string(stamp));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    std::string write(const std::string& name, const std::string& bytes) {
        const fs::path path = dir_ / name;
        std::ofstream out(path, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return path.string();
    }

    static std::unique_ptr<Dataset> open(const std::string& path, double val_fraction = 0.1, uint64_t seed = 1) {
        DataConfig config;
        config.dataset = "text";
        config.data_file = path;
        config.val_fraction = val_fraction;
        return make_dataset(config, seed);
    }

    // Lines "line 000000\n", "line 000001\n", ...: any window of 24 or more bytes occurs once, at a known place.
    static std::string numbered_lines(int count) {
        std::string text;
        char line[32];
        for (int i = 0; i < count; ++i) {
            std::snprintf(line, sizeof line, "line %06d\n", i);
            text += line;
        }
        return text;
    }

    static std::string expect_data_error(const std::string& path, const std::string& must_contain) {
        try {
            open(path);
        } catch (const DataError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find(must_contain), std::string::npos) << message;
            return message;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "expected DataError, got: " << e.what();
            return "";
        }
        ADD_FAILURE() << "expected DataError for " << path;
        return "";
    }

    fs::path dir_;
};

TEST_F(TextDataTest, ReadsTheBytesAsTheyAre) {
    std::string bytes = "Hello, world!\r\nZ\xC3\xBCrich \xE2\x82\xAC 100\n";
    bytes += std::string("\0\x01\xFF\x80", 4);
    for (int i = 0; i < 10; ++i) bytes += "Some more text so that both splits hold a sequence.\n";
    const std::string path = write("notes.txt", bytes);
    EXPECT_EQ(read_text_file(path), bytes);

    auto dataset = open(path);
    EXPECT_EQ(dataset->name(), "text");
    EXPECT_TRUE(dataset->is_language());
    EXPECT_EQ(dataset->num_outputs(), 256);
    EXPECT_EQ(dataset->domain_names(), std::vector<std::string>{"notes.txt"});
    auto* bytes_dataset = dynamic_cast<ByteDataset*>(dataset.get());
    ASSERT_NE(bytes_dataset, nullptr);
    EXPECT_EQ(bytes_dataset->domain(0).bytes, bytes);

    // Byte ids are 0..255, high bytes included (never negative chars).
    bool saw_high = false;
    for (int64_t index = 0; index < 50; ++index) {
        const Batch batch = dataset->train_batch(index, 8, 16);
        for (size_t i = 0; i < batch.inputs.size(); ++i) {
            ASSERT_GE(batch.inputs[i], 0);
            ASSERT_LT(batch.inputs[i], 256);
            ASSERT_EQ(batch.domains[i], 0);
            saw_high = saw_high || batch.inputs[i] >= 128;
        }
    }
    EXPECT_TRUE(saw_high);
}

TEST_F(TextDataTest, MissingFileIsADataErrorNamingIt) {
    expect_data_error((dir_ / "missing.txt").string(), "missing.txt");
}

TEST_F(TextDataTest, EmptyFileIsADataErrorNamingIt) {
    const std::string message = expect_data_error(write("empty.txt", ""), "empty.txt");
    EXPECT_NE(message.find("empty"), std::string::npos) << message;
}

TEST_F(TextDataTest, DirectoryOrNoFileIsADataError) {
    expect_data_error(dir_.string(), "directory");
    expect_data_error("", "--data");
}

TEST_F(TextDataTest, FileTooShortToSplitIsADataErrorNamingIt) {
    expect_data_error(write("tiny.txt", "0123456789"), "tiny.txt");
}

TEST_F(TextDataTest, FileTooShortForTheSequenceLengthIsADataErrorAtBatchTime) {
    // 300 bytes: validation holds 30, enough for seq_len 16 but not 64.
    auto dataset = open(write("short.txt", std::string(300, 'a')));
    EXPECT_NO_THROW(dataset->train_batch(0, 2, 16));
    EXPECT_NO_THROW(dataset->val_batch(0, 2, 16));
    EXPECT_NO_THROW(dataset->val_batch(0, 2, 29));
    for (bool validation : {false, true}) {
        try {
            if (validation) {
                dataset->val_batch(0, 2, 64);
            } else {
                dataset->train_batch(0, 2, 400);
            }
            ADD_FAILURE() << "expected DataError";
        } catch (const DataError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("short.txt"), std::string::npos) << message;
            EXPECT_NE(message.find("seq_len"), std::string::npos) << message;
        }
    }
}

TEST_F(TextDataTest, TrainingAndValidationWindowsNeverOverlap) {
    const std::string text = numbered_lines(2000);  // 24000 bytes
    auto dataset = open(write("numbers.txt", text), 0.2);
    auto* bytes_dataset = dynamic_cast<ByteDataset*>(dataset.get());
    ASSERT_NE(bytes_dataset, nullptr);
    const size_t boundary = bytes_dataset->train_size(0);
    EXPECT_EQ(boundary, text.size() - 4800);
    const int T = 32;
    size_t train_min = text.size(), train_max = 0, val_min = text.size(), val_max = 0;
    for (bool validation : {false, true}) {
        for (int64_t index = 0; index < 100; ++index) {
            const Batch batch = validation ? dataset->val_batch(index, 16, T) : dataset->train_batch(index, 16, T);
            for (int b = 0; b < 16; ++b) {
                std::string window;
                for (int t = 0; t < T; ++t) window += static_cast<char>(batch.inputs[static_cast<size_t>(b * T + t)]);
                window += static_cast<char>(batch.targets[static_cast<size_t>(b * T + T - 1)]);
                for (int t = 0; t + 1 < T; ++t) {
                    ASSERT_EQ(batch.targets[static_cast<size_t>(b * T + t)],
                              batch.inputs[static_cast<size_t>(b * T + t + 1)]);
                }
                const size_t at = text.find(window);
                ASSERT_NE(at, std::string::npos);
                if (validation) {
                    ASSERT_GE(at, boundary) << "a validation window starts in the training split";
                    val_min = std::min(val_min, at);
                    val_max = std::max(val_max, at);
                } else {
                    ASSERT_LE(at + T + 1, boundary) << "a training window reaches into the validation split";
                    train_min = std::min(train_min, at);
                    train_max = std::max(train_max, at);
                }
            }
        }
    }
    // Start offsets are uniform over each split: both ends are reached.
    EXPECT_LT(train_min, boundary / 50);
    EXPECT_GT(train_max, boundary - T - 1 - boundary / 50);
    EXPECT_LT(val_min, boundary + 200);
    EXPECT_GT(val_max, text.size() - T - 1 - 200);
}

TEST_F(TextDataTest, UnigramEntropyMatchesADirectCount) {
    const std::string text = numbered_lines(500);
    auto dataset = open(write("numbers.txt", text));
    auto* bytes_dataset = dynamic_cast<ByteDataset*>(dataset.get());
    ASSERT_NE(bytes_dataset, nullptr);
    const std::string train = text.substr(0, bytes_dataset->train_size(0));
    std::vector<double> counts(256, 0.0);
    for (char c : train) counts[static_cast<unsigned char>(c)] += 1.0;
    double h = 0.0;
    for (double c : counts) {
        if (c > 0) h -= c / train.size() * std::log(c / train.size());
    }
    EXPECT_NEAR(dataset->unigram_entropy(), h, 1e-9);
    EXPECT_NEAR(byte_entropy(train), h, 1e-9);
    EXPECT_GT(dataset->unigram_entropy(), 0.0);
    EXPECT_LT(dataset->unigram_entropy(), std::log(256.0));
}

TEST_F(TextDataTest, BatchesDependOnlyOnSeedAndIndex) {
    const std::string path = write("numbers.txt", numbered_lines(1000));
    auto a = open(path, 0.1, 5), b = open(path, 0.1, 5), c = open(path, 0.1, 6);
    b->train_batch(0, 4, 32);
    EXPECT_EQ(a->train_batch(9, 4, 32).inputs, b->train_batch(9, 4, 32).inputs);
    EXPECT_EQ(a->val_batch(9, 4, 32).inputs, b->val_batch(9, 4, 32).inputs);
    EXPECT_NE(a->train_batch(9, 4, 32).inputs, a->train_batch(10, 4, 32).inputs);
    EXPECT_NE(a->train_batch(9, 4, 32).inputs, c->train_batch(9, 4, 32).inputs);
}

}  // namespace
}  // namespace moe
