// Binds a settings table (core/settings.h) to a subcommand: one flag per row, with the row's help, range and
// current value as default. The row itself parses and range-checks the value, so a flag refuses exactly what
// config.json and `tint sweep --values` refuse, with the same message.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tint/core/settings.h"

namespace tint::cli {

// Returns the options it added, in table order.
template <class Config>
std::vector<CLI::Option*> add_settings(CLI::App& cmd, const SettingsTable<Config>& table, Config& config,
                                       const std::set<std::string>& leave_out = {}) {
  std::vector<CLI::Option*> added;
  for (const auto& row : table) {
    if (!row.on_cli || leave_out.count(row.flag)) continue;
    const Setting<Config>* r = &row;  // the tables are static: the row outlives the parser
    auto apply = [r, &config](const std::string& value) {
      try {
        r->parse(config, value);
      } catch (const Error& e) {
        throw CLI::ValidationError(e.what());
      }
    };
    if (row.negated_flag) {
      added.push_back(cmd.add_flag_callback(
          row.cli_name(), [apply] { apply("false"); }, row.help));
    } else if (row.bare_flag) {
      added.push_back(cmd.add_flag_callback(
          row.cli_name(), [apply] { apply("true"); }, row.help));
    } else if (row.range == "true|false") {
      // A boolean that is off by default: the bare flag turns it on ("true" is what CLI11 hands over for a value-less
      // use); "--flag false" still parses, and "--flag ''" is refused as any other bad value.
      added.push_back(cmd.add_option_function<std::string>(row.cli_name(), apply,
                                                           row.help + " (off unless given; the bare flag means true)")
                          ->expected(0, 1)
                          ->type_name("[true|false]")
                          ->default_str("true")
                          // The help would show the bare flag's value as if it were the default.
                          ->option_text("[true|false]=false"));
    } else {
      added.push_back(cmd.add_option_function<std::string>(row.cli_name(), apply, row.help)
                          ->type_name(row.range == "text" ? "TEXT" : row.range)
                          ->default_str(row.show(config)));
    }
  }
  return added;
}

// The rows that apply to some configs only (core/settings.h check_applicable): a flag given on `cmd` for a config it
// does not apply to, or a value in use there, is refused with the row's one-line message.
template <class Config>
void check_given_settings(const CLI::App& cmd, const SettingsTable<Config>& table, const Config& config) {
  check_applicable<Config>(table, config, [&cmd](const Setting<Config>& row) {
    const CLI::Option* option = cmd.get_option_no_throw(row.cli_name());
    return option != nullptr && option->count() > 0;
  });
}

}  // namespace tint::cli
