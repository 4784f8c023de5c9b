// tint: colourization networks, object detection, network analysis and optimizer experiments from the command line.
// Errors of any kind end as one line on stderr and exit status 2.
#include <exception>
#include <iostream>

#include "commands.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/core/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{
      "tint: CNN colourization as classification, object detection, network analysis and optimizer experiments",
      "tint"};
  app.set_version_flag("-V,--version", std::string("tint ") + tint::version());
  app.require_subcommand(1);
  app.fallthrough(false);
  tint::cli::SharedFlags shared;
  tint::cli::add_palette(app, shared);
  tint::cli::add_train(app, shared);
  tint::cli::add_evaluate(app, shared);
  tint::cli::add_sweep(app, shared);
  tint::cli::add_compare(app, shared);
  tint::cli::add_colourize(app, shared);
  tint::cli::add_detect(app, shared);
  tint::cli::add_report(app, shared);
  tint::cli::add_optim(app, shared);
  tint::cli::add_analysis(app, shared);
  tint::cli::add_export(app, shared);
  shared.arguments.assign(argv + 1, argv + argc);
  tint::install_interrupt_handlers();
  tint::tune_allocator();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tint: " << e.what() << " (see tint --help)\n";
    return 2;
  } catch (const tint::cli::ExitStatus& e) {
    return e.code;
  } catch (const tint::Interrupted& e) {
    std::cerr << "tint: " << e.what() << "\n";
    return 130;
  } catch (const std::exception& e) {  // LibTorch's c10::Error among them: its message without the backtrace
    std::cerr << "tint: error: " << tint::message_of(e) << "\n";
    return 2;
  }
  return 0;
}
