// sanenet: the one header users include. Networks declared as types that refuse the
// classic training mistakes (Holden, "My Neural Network isn't working!").
#pragma once

// core
#include <sanenet/core/config.hpp>
#include <sanenet/core/errors.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/core/network.hpp>
#include <sanenet/core/build_info.hpp>

// training
#include <sanenet/train/fit.hpp>
#include <sanenet/train/lr_finder.hpp>
#include <sanenet/train/doctor.hpp>
#include <sanenet/train/metrics.hpp>

// data
#include <sanenet/data/idx.hpp>
#include <sanenet/data/csv.hpp>
#include <sanenet/data/standardizer.hpp>
#include <sanenet/data/fashion_mnist.hpp>

// io
#include <sanenet/io/npy.hpp>

// report
#include <sanenet/report/plot.hpp>
