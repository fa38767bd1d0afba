// sanenet: the one header users include. Networks declared as types that refuse the
// classic training mistakes (Holden, "My Neural Network isn't working!").
//
// The headers, lowest level first (no header includes one from a later line):
//   core/      config, errors, the spec tables, tasks, targets, number formatting, xtensor types
//   kernels/   the only door to xsimd: GEMM, elementwise math, optimizer updates, threads, RNG
//   layers/    each layer kind with all its behaviour (layer.hpp is the seam)
//   model/     the non-template model: stages, parameters, the one forward pass
//   lints/     the lint tags and the compile-time and data rules
//   network/   sn::Network<Task, Items...> and its summary
//   train/     the trainer, fit, evaluate, monitors, schedules, early stopping, the learning-rate finder
//   io/ data/ report/   files (models, checkpoints and sn::resume), loaders, plots
//   doctor/    the "my network isn't working" report
#pragma once

#include <sanenet/core/config.hpp>
#include <sanenet/core/errors.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/kernels/build_info.hpp>
#include <sanenet/network/network.hpp>

#include <sanenet/train/fit.hpp>
#include <sanenet/train/lr_finder.hpp>
#include <sanenet/train/metrics.hpp>

#include <sanenet/data/csv.hpp>
#include <sanenet/data/dataset.hpp>
#include <sanenet/data/fashion_mnist.hpp>
#include <sanenet/data/idx.hpp>
#include <sanenet/data/split.hpp>
#include <sanenet/data/standardizer.hpp>
#include <sanenet/io/any_network.hpp>
#include <sanenet/io/export_header.hpp>
#include <sanenet/io/checkpoint.hpp>
#include <sanenet/io/model_file.hpp>
#include <sanenet/io/npy.hpp>
#include <sanenet/io/quantized.hpp>
#include <sanenet/report/plot.hpp>

#include <sanenet/doctor/doctor.hpp>
