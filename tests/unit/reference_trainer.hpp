// The independent oracle: a plain double-precision MLP trainer, written from the textbook
// formulas and PyTorch's documented semantics (torch.nn, torch.optim, clip_grad_norm_), sharing
// no code with sanenet: standard headers only, no xsimd, no kernels/ (tools/check_sources.py
// fails the build's tests if that changes). Deliberately naive: every activation is
// differentiated through its input, softmax through its full Jacobian and the losses through
// the probabilities, LayerNorm through its full Jacobian (the chain rule through the row's
// mean and variance), so that sanenet's fused forms are checked against unfused ones. The
// regression losses (torch.nn.MSELoss, L1Loss, HuberLoss) take per-output weights, the
// cross-entropy per-class weights (torch.nn.CrossEntropyLoss(weight)).
// test_oracle.cpp replays sanenet's training runs with it, step by step.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace reference {

enum class op_kind { dense, identity, relu, leaky_relu, elu, tanh, sigmoid, softmax, gelu, silu, layer_norm };

// One layer: a dense layer (in x out weights, out biases), a LayerNorm of width in = out (out
// gains, out biases; torch.nn.LayerNorm(out): eps 1e-5, biased variance) or an activation of
// width `out` with its constant (leaky slope, ELU alpha).
struct op {
    op_kind kind;
    int in, out;
    double param = 0.0;
};

enum class loss_kind { mean_squared_error, mean_absolute_error, huber, cross_entropy, binary_cross_entropy };

// Regression: loss = mean over rows and outputs of weights[c] l(y - t) (no weights: all 1).
// Cross-entropy: sum_r weights[class_r] l_r / sum_r weights[class_r] per batch, as
// CrossEntropyLoss(weight); a batch whose weights sum to 0 has loss 0 and no gradient (PyTorch
// gives NaN there; sanenet documents 0).
struct loss_options {
    double huber_delta = 1.0;
    std::vector<double> weights;
};

// torch.optim.SGD(lr, momentum, nesterov, weight_decay) and torch.optim.Adam / AdamW; weight
// decay only on the Dense weights (a parameter group without it for the Dense biases and the
// LayerNorm gains and biases).
struct sgd {
    double lr, momentum = 0.0, weight_decay = 0.0;
    bool nesterov = false;
};
struct adam {
    double lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
    bool decoupled = false;  // AdamW
};

class mlp {
public:
    // weights[i]: in x out row-major (weights[i][r * out + c] joins input r to output c), one
    // entry per dense op, in order; biases[i]: out values.
    std::vector<std::vector<double>> weights, biases;
    // norm_gains[i], norm_biases[i]: the out gains and biases of the i-th LayerNorm op.
    std::vector<std::vector<double>> norm_gains, norm_biases;
    static constexpr double layer_norm_eps = 1e-5;

    mlp(std::vector<op> ops, loss_kind loss, loss_options lo = {}) : ops_(std::move(ops)), loss_(loss), lo_(std::move(lo)) {
        for (const op& o : ops_)
            if (o.kind == op_kind::dense) {
                weights.emplace_back(static_cast<std::size_t>(o.in) * static_cast<std::size_t>(o.out), 0.0);
                biases.emplace_back(static_cast<std::size_t>(o.out), 0.0);
            } else if (o.kind == op_kind::layer_norm) {
                if (o.in != o.out) throw std::logic_error("reference: a LayerNorm keeps its width");
                norm_gains.emplace_back(static_cast<std::size_t>(o.out), 1.0);
                norm_biases.emplace_back(static_cast<std::size_t>(o.out), 0.0);
            }
        for (auto& w : weights) state_w_.emplace_back(w.size() * 2, 0.0);
        for (auto& b : biases) state_b_.emplace_back(b.size() * 2, 0.0);
        for (auto& g : norm_gains) state_ng_.emplace_back(g.size() * 2, 0.0);
        for (auto& b : norm_biases) state_nb_.emplace_back(b.size() * 2, 0.0);
    }

    // One training step on `rows` samples (x: rows x inputs; t: rows x outputs targets, or the
    // class index of each row as a double for cross-entropy). Returns the mean loss.
    template <class Optimizer>
    double step(const std::vector<double>& x, const std::vector<double>& t, int rows, const Optimizer& opt,
                double clip_norm = 0.0) {
        const double loss = gradients(x, t, rows);
        if (clip_norm > 0.0) clip(clip_norm);
        update(opt);
        return loss;
    }

    // The loss and the gradients of the mean loss on `rows` samples (gw_, gb_, gng_, gnb_).
    double gradients(const std::vector<double>& x, const std::vector<double>& t, int rows) {
        // Forward: values[i] is the input of op i, values.back() the output.
        std::vector<std::vector<double>> values{x};
        std::size_t d = 0, ln = 0;
        for (const op& o : ops_) {
            const std::vector<double>& in = values.back();
            std::vector<double> out(static_cast<std::size_t>(rows) * static_cast<std::size_t>(o.out));
            for (int r = 0; r < rows; ++r) {
                const double* xi = in.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(o.in);
                double* yo = out.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(o.out);
                if (o.kind == op_kind::dense) {
                    for (int c = 0; c < o.out; ++c) {
                        double s = biases[d][static_cast<std::size_t>(c)];
                        for (int i = 0; i < o.in; ++i) s += xi[i] * weights[d][static_cast<std::size_t>(i * o.out + c)];
                        yo[c] = s;
                    }
                } else if (o.kind == op_kind::softmax) {
                    double m = xi[0], sum = 0.0;
                    for (int c = 1; c < o.out; ++c) m = std::max(m, xi[c]);
                    for (int c = 0; c < o.out; ++c) sum += yo[c] = std::exp(xi[c] - m);
                    for (int c = 0; c < o.out; ++c) yo[c] /= sum;
                } else if (o.kind == op_kind::layer_norm) {
                    const row_moments rm = moments(xi, o.out);
                    for (int c = 0; c < o.out; ++c)
                        yo[c] =
                            norm_gains[ln][static_cast<std::size_t>(c)] * (xi[c] - rm.mean) / std::sqrt(rm.var + layer_norm_eps) +
                            norm_biases[ln][static_cast<std::size_t>(c)];
                } else {
                    for (int c = 0; c < o.out; ++c) yo[c] = activation(o, xi[c]);
                }
            }
            if (o.kind == op_kind::dense) ++d;
            if (o.kind == op_kind::layer_norm) ++ln;
            values.push_back(std::move(out));
        }

        // The loss and its gradient with respect to the network's output.
        const std::vector<double>& y = values.back();
        const int k = ops_.back().out;
        std::vector<double> grad(y.size(), 0.0);
        double loss = 0.0;
        const auto weight = [&](int j) { return lo_.weights.empty() ? 1.0 : lo_.weights[static_cast<std::size_t>(j)]; };
        // Cross-entropy's denominator: the batch's rows, or the sum of their class weights (only
        // there are the targets class indices).
        double total = 0.0;
        if (loss_ == loss_kind::cross_entropy)
            for (int r = 0; r < rows; ++r) total += weight(static_cast<int>(t[static_cast<std::size_t>(r)]));
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < k; ++c) {
                const std::size_t i = static_cast<std::size_t>(r) * static_cast<std::size_t>(k) + static_cast<std::size_t>(c);
                const double n = static_cast<double>(rows) * k;
                if (loss_ == loss_kind::mean_squared_error) {
                    const double e = y[i] - t[i];
                    loss += weight(c) * e * e / n;
                    grad[i] = weight(c) * 2.0 * e / n;
                } else if (loss_ == loss_kind::mean_absolute_error) {
                    const double e = y[i] - t[i];
                    loss += weight(c) * std::fabs(e) / n;
                    grad[i] = weight(c) * (e > 0.0 ? 1.0 : (e < 0.0 ? -1.0 : 0.0)) / n;
                } else if (loss_ == loss_kind::huber) {
                    // torch.nn.HuberLoss(delta): quadratic inside delta, linear outside, joined with
                    // matching value and slope at |e| = delta.
                    const double e = y[i] - t[i], a = std::fabs(e), d = lo_.huber_delta;
                    loss += weight(c) * (a <= d ? 0.5 * e * e : d * a - 0.5 * d * d) / n;
                    grad[i] = weight(c) * (a <= d ? e : (e > 0.0 ? d : -d)) / n;
                } else if (loss_ == loss_kind::cross_entropy) {
                    if (c == static_cast<int>(t[static_cast<std::size_t>(r)]) && total > 0.0) {
                        loss -= weight(c) * std::log(y[i]) / total;
                        grad[i] = -weight(c) / (y[i] * total);
                    }
                } else {
                    const double p = y[i], target = t[i];
                    loss -= (target * std::log(p) + (1.0 - target) * std::log(1.0 - p)) / (rows * k);
                    grad[i] = (p - target) / (p * (1.0 - p)) / (rows * k);
                }
            }

        // Backward, op by op.
        gw_.assign(weights.size(), {});
        gb_.assign(biases.size(), {});
        gng_.assign(norm_gains.size(), {});
        gnb_.assign(norm_biases.size(), {});
        for (std::size_t n = ops_.size(); n-- > 0;) {
            const op& o = ops_[n];
            const std::vector<double>& in = values[n];
            const std::vector<double>& out = values[n + 1];
            std::vector<double> g_in(in.size(), 0.0);
            if (o.kind == op_kind::dense) {
                --d;
                gw_[d].assign(weights[d].size(), 0.0);
                gb_[d].assign(biases[d].size(), 0.0);
                for (int r = 0; r < rows; ++r)
                    for (int c = 0; c < o.out; ++c) {
                        const double go = grad[static_cast<std::size_t>(r * o.out + c)];
                        gb_[d][static_cast<std::size_t>(c)] += go;
                        for (int i = 0; i < o.in; ++i) {
                            gw_[d][static_cast<std::size_t>(i * o.out + c)] += in[static_cast<std::size_t>(r * o.in + i)] * go;
                            g_in[static_cast<std::size_t>(r * o.in + i)] +=
                                weights[d][static_cast<std::size_t>(i * o.out + c)] * go;
                        }
                    }
            } else if (o.kind == op_kind::softmax) {
                for (int r = 0; r < rows; ++r)
                    for (int i = 0; i < o.out; ++i)
                        for (int c = 0; c < o.out; ++c) {
                            const double yi = out[static_cast<std::size_t>(r * o.out + i)],
                                         yc = out[static_cast<std::size_t>(r * o.out + c)];
                            g_in[static_cast<std::size_t>(r * o.out + i)] +=
                                grad[static_cast<std::size_t>(r * o.out + c)] * yc * ((i == c ? 1.0 : 0.0) - yi);
                        }
            } else if (o.kind == op_kind::layer_norm) {
                // y_c = g_c z_c + b_c, z_c = (x_c - mean) s, s = (var + eps)^(-1/2), with
                // d mean / d x_i = 1/w and d var / d x_i = 2 (x_i - mean) / w, so
                // d z_c / d x_i = s ([i == c] - 1/w) - (x_c - mean) (x_i - mean) s^3 / w.
                --ln;
                gng_[ln].assign(norm_gains[ln].size(), 0.0);
                gnb_[ln].assign(norm_biases[ln].size(), 0.0);
                const int w = o.out;
                for (int r = 0; r < rows; ++r) {
                    const double* xi = in.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(w);
                    const double* go = grad.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(w);
                    double* gi = g_in.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(w);
                    const row_moments rm = moments(xi, w);
                    const double s = 1.0 / std::sqrt(rm.var + layer_norm_eps);
                    for (int c = 0; c < w; ++c) {
                        gng_[ln][static_cast<std::size_t>(c)] += go[c] * (xi[c] - rm.mean) * s;
                        gnb_[ln][static_cast<std::size_t>(c)] += go[c];
                        const double gz = go[c] * norm_gains[ln][static_cast<std::size_t>(c)];
                        for (int i = 0; i < w; ++i)
                            gi[i] += gz * (s * ((i == c ? 1.0 : 0.0) - 1.0 / w) -
                                           (xi[c] - rm.mean) * (xi[i] - rm.mean) * s * s * s / w);
                    }
                }
            } else {
                for (std::size_t i = 0; i < in.size(); ++i) g_in[i] = grad[i] * derivative(o, in[i]);
            }
            grad = std::move(g_in);
        }
        return loss;
    }

    // torch.nn.utils.clip_grad_norm_: the norm over every gradient; scaled by
    // max_norm / (norm + 1e-6) when that is below 1.
    void clip(double max_norm) {
        double s = 0.0;
        for (const auto* g : {&gw_, &gb_, &gng_, &gnb_})
            for (const auto& layer : *g)
                for (double v : layer) s += v * v;
        const double coef = max_norm / (std::sqrt(s) + 1e-6);
        if (coef >= 1.0) return;
        for (auto* g : {&gw_, &gb_, &gng_, &gnb_})
            for (auto& layer : *g)
                for (double& v : layer) v *= coef;
    }

    void update(const sgd& o) {
        ++t_;
        for (std::size_t d = 0; d < weights.size(); ++d) {
            sgd_update(weights[d], gw_[d], state_w_[d], o, o.weight_decay);
            sgd_update(biases[d], gb_[d], state_b_[d], o, 0.0);
        }
        for (std::size_t l = 0; l < norm_gains.size(); ++l) {
            sgd_update(norm_gains[l], gng_[l], state_ng_[l], o, 0.0);
            sgd_update(norm_biases[l], gnb_[l], state_nb_[l], o, 0.0);
        }
    }
    void update(const adam& o) {
        ++t_;
        for (std::size_t d = 0; d < weights.size(); ++d) {
            adam_update(weights[d], gw_[d], state_w_[d], o, o.weight_decay);
            adam_update(biases[d], gb_[d], state_b_[d], o, 0.0);
        }
        for (std::size_t l = 0; l < norm_gains.size(); ++l) {
            adam_update(norm_gains[l], gng_[l], state_ng_[l], o, 0.0);
            adam_update(norm_biases[l], gnb_[l], state_nb_[l], o, 0.0);
        }
    }

private:
    // A row's mean and biased variance (torch.nn.LayerNorm's), in two passes.
    struct row_moments {
        double mean, var;
    };
    static row_moments moments(const double* x, int w) {
        double mean = 0.0, var = 0.0;
        for (int i = 0; i < w; ++i) mean += x[i];
        mean /= w;
        for (int i = 0; i < w; ++i) var += (x[i] - mean) * (x[i] - mean);
        return {mean, var / w};
    }

    static double activation(const op& o, double x) {
        switch (o.kind) {
            case op_kind::relu: return x > 0.0 ? x : 0.0;
            case op_kind::leaky_relu: return x > 0.0 ? x : o.param * x;
            case op_kind::elu: return x > 0.0 ? x : o.param * (std::exp(x) - 1.0);
            case op_kind::tanh: return std::tanh(x);
            case op_kind::sigmoid: return 1.0 / (1.0 + std::exp(-x));
            case op_kind::gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));  // torch.nn.GELU()
            case op_kind::silu: return x / (1.0 + std::exp(-x));
            case op_kind::identity: return x;
            default: throw std::logic_error("reference: not an elementwise activation");
        }
    }
    // d activation / dx at the input x (PyTorch: ReLU's and LeakyReLU's derivative at 0 is that of x < 0).
    static double derivative(const op& o, double x) {
        switch (o.kind) {
            case op_kind::relu: return x > 0.0 ? 1.0 : 0.0;
            case op_kind::leaky_relu: return x > 0.0 ? 1.0 : o.param;
            case op_kind::elu: return x > 0.0 ? 1.0 : o.param * std::exp(x);
            case op_kind::tanh: return 1.0 - std::tanh(x) * std::tanh(x);
            case op_kind::sigmoid: {
                const double s = 1.0 / (1.0 + std::exp(-x));
                return s * (1.0 - s);
            }
            case op_kind::gelu: {  // Phi(x) + x phi(x)
                const double pi = 3.14159265358979323846;
                return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * pi);
            }
            case op_kind::silu: {  // s (1 + x (1 - s))
                const double s = 1.0 / (1.0 + std::exp(-x));
                return s * (1.0 + x * (1.0 - s));
            }
            case op_kind::identity: return 1.0;
            default: throw std::logic_error("reference: not an elementwise activation");
        }
    }

    // state: the momentum buffer in the first half.
    static void sgd_update(std::vector<double>& p, const std::vector<double>& g, std::vector<double>& state, const sgd& o,
                           double decay) {
        for (std::size_t i = 0; i < p.size(); ++i) {
            double gi = g[i] + decay * p[i];
            if (o.momentum != 0.0) {
                double& buf = state[i];
                buf = o.momentum * buf + gi;
                gi = o.nesterov ? gi + o.momentum * buf : buf;
            }
            p[i] -= o.lr * gi;
        }
    }
    // state: the first moments, then the second.
    void adam_update(std::vector<double>& p, const std::vector<double>& g, std::vector<double>& state, const adam& o,
                     double decay) const {
        const double bc1 = 1.0 - std::pow(o.beta1, t_), bc2 = 1.0 - std::pow(o.beta2, t_);
        for (std::size_t i = 0; i < p.size(); ++i) {
            double gi = g[i];
            if (o.decoupled)
                p[i] *= 1.0 - o.lr * decay;
            else
                gi += decay * p[i];
            double& m = state[i];
            double& v = state[p.size() + i];
            m = o.beta1 * m + (1.0 - o.beta1) * gi;
            v = o.beta2 * v + (1.0 - o.beta2) * gi * gi;
            p[i] -= o.lr / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + o.eps);
        }
    }

    std::vector<op> ops_;
    loss_kind loss_;
    loss_options lo_;
    std::vector<std::vector<double>> gw_, gb_, state_w_, state_b_;
    std::vector<std::vector<double>> gng_, gnb_, state_ng_, state_nb_;  // the LayerNorms'
    int t_ = 0;
};

}  // namespace reference
