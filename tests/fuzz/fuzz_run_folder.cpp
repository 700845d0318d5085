// Any bytes as a run folder: the input is cut at "\n--8<--\n" lines into config.json, metrics.csv, routing.csv,
// traffic.csv, val_routing.csv and coactivation.csv; load_run_folder either reads them or throws moe::Error
// naming the file.
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "ui/session/run_folder.h"

#include <QString>

#include <filesystem>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto dir = moe::fuzz::scratch_folder() / "run";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto parts = moe::fuzz::split_parts(moe::fuzz::as_text(data, size), moe::fuzz::kRunFolderFiles.size());
    for (size_t i = 0; i < moe::fuzz::kRunFolderFiles.size(); ++i)
        if (!parts[i].empty()) moe::fuzz::write_bytes(dir / moe::fuzz::kRunFolderFiles[i], parts[i]);
    try {
        (void)moe::ui::load_run_folder(QString::fromStdString(dir.string()));
    } catch (const moe::Error&) {
    }
    return 0;
}
