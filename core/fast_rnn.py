"""Fast recurrences for TensorFlow on CPU: the input projection hoisted, a hand-written backward pass.

Keras's SimpleRNN, LSTM and GRU on the TensorFlow backend run a generic loop on a CPU: each
time step multiplies its input by the kernel, calls the cell's dozen small ops, and the
automatic gradient of that loop adds a weight-gradient product and a sum per step. Here,
as cuDNN and oneDNN do:
- the input projection of every time step is one large product before the loop
  # (time * batch, in) @ (in, gates * units);
- the loop holds only the recurrent product and the gate arithmetic, and keeps the gate
  values it needs for the backward pass;
- the backward pass (`tf.custom_gradient`) walks the loop in reverse, propagating only
  the state's gradient; the weight gradients are then three large products over all
  time steps instead of one small product per step.

The equations, the weight layouts (kernel, recurrent_kernel, bias; GRU with
reset_after=True, bias (2, 3u)) and the masking rules (a masked step keeps the previous
state; the output is the previous output, or zero with `zero_output_for_mask`) are
Keras 3's, so weights are interchangeable and results agree to float rounding.
Only called from `core.models`; TensorFlow is imported on first use.
"""

from __future__ import annotations

import functools


@functools.cache
def _tf():
    import tensorflow as tf

    return tf


def _sigmoid_grad(y):
    return y * (1.0 - y)


def _loop(n, body, loop_vars, reverse=False):
    """Run body(t, *vars) for t = 0..n-1 (n-1..0 when reverse); returns the final vars."""
    tf = _tf()
    start, step = (n - 1, -1) if reverse else (tf.constant(0), 1)

    def cond(t, *_):
        return t >= 0 if reverse else t < n

    def wrapped(t, *v):
        return (t + step, *body(t, *v))

    return tf.while_loop(cond, wrapped, (start, *loop_vars))[1:]


def _arrays(tf, n, dtype, count):
    return [tf.TensorArray(dtype, size=n, clear_after_read=False) for _ in range(count)]


def _seq(x):
    """A (time, ...) tensor as a TensorArray the loops read by step, as often as they need."""
    tf = _tf()
    return tf.TensorArray(x.dtype, size=tf.shape(x)[0], clear_after_read=False).unstack(x)


def _project(xt, kernel):
    """# (time, batch, in) @ (in, g) -> (time, batch, g): one product for every time step."""
    tf = _tf()
    shape = tf.shape(xt)
    flat = tf.reshape(xt, [-1, xt.shape[-1]])
    return tf.reshape(tf.matmul(flat, kernel), [shape[0], shape[1], kernel.shape[-1]])


def _flat(x):
    tf = _tf()
    return tf.reshape(x, [-1, x.shape[-1]])


def _weight_grads(xt, dxp, hprev, dhp, kernel):
    """dx, dkernel, drecurrent from the per-step gradients of the projections, in three big products."""
    tf = _tf()
    dxp_flat = _flat(dxp)
    dkernel = tf.matmul(_flat(xt), dxp_flat, transpose_a=True)
    drec = tf.matmul(_flat(hprev), _flat(dhp), transpose_a=True)
    dx = tf.reshape(tf.matmul(dxp_flat, kernel, transpose_b=True), tf.shape(xt))
    return dx, dkernel, drec


def _keep(m, new, old):
    """Masked steps keep the old value; m is (batch, 1) float, 1 on real steps."""
    return old + m * (new - old)


def gru_time_major(xt, h0, kernel, recurrent, bias, mask=None, zero_output=False):
    """xt (time, batch, in), h0 (batch, u) -> (outputs (time, batch, u), final state (batch, u)).

    `mask` (time, batch, 1) float or None. Keras's GRU with reset_after=True:
    z, r = sigmoid(x Wz + bz + h Rz + b'z), sigmoid(...); n = tanh(x Wn + bn + r * (h Rn + b'n));
    h' = z * h + (1 - z) * n.
    """
    tf = _tf()
    u = recurrent.shape[0]
    masked = mask is not None

    @tf.custom_gradient
    def run(xt, h0, kernel, recurrent, bias, *maybe_mask):
        m_all = maybe_mask[0] if masked else None
        n = tf.shape(xt)[0]
        b_rec_n = bias[1, 2 * u :]
        # The recurrent bias of z and r adds like the input bias: folded into the projection.
        xp = _project(xt, kernel) + (bias[0] + tf.concat([bias[1, : 2 * u], tf.zeros([u], bias.dtype)], 0))
        xp_ta = _seq(xp)
        m_ta = _seq(m_all) if masked else None
        hs, zrs, ns, hpns = _arrays(tf, n, xt.dtype, 4)

        def body(t, h, hs, zrs, ns, hpns):
            xp_t = xp_ta.read(t)  # (batch, 3u)
            hp = tf.matmul(h, recurrent)  # (batch, 3u)
            zr = tf.sigmoid(xp_t[:, : 2 * u] + hp[:, : 2 * u])  # (batch, 2u)
            hpn = hp[:, 2 * u :] + b_rec_n
            cand = tf.tanh(xp_t[:, 2 * u :] + zr[:, u:] * hpn)
            h_new = cand + zr[:, :u] * (h - cand)
            if masked:
                h_new = _keep(m_ta.read(t), h_new, h)
            return h_new, hs.write(t, h_new), zrs.write(t, zr), ns.write(t, cand), hpns.write(t, hpn)

        h_last, hs, zrs, ns, hpns = _loop(n, body, (h0, hs, zrs, ns, hpns))
        hs_all = hs.stack()  # (time, batch, u)
        outputs = hs_all * m_all if masked and zero_output else hs_all

        def grad(d_out, d_last):
            d_out = tf.zeros_like(outputs) if d_out is None else d_out
            if masked and zero_output:
                d_out = d_out * m_all
            hprev = tf.concat([h0[None], hs_all[:-1]], 0)  # (time, batch, u)
            dout_ta = _seq(d_out)
            hprev_ta = _seq(hprev)
            # The gradients at the gate inputs, kept in three pieces: z and r (2u, shared by the
            # input and the recurrent product), r * dn (the recurrent product's candidate part)
            # and dn (the input's): no (time, batch, 3u) concatenation after the loop.
            dzrs, dnrs, dns = _arrays(tf, n, xt.dtype, 3)
            rec_t = tf.transpose(recurrent)  # (3u, u)

            def back(t, dh, dzrs, dnrs, dns):
                dh = dh + dout_ta.read(t)
                zr, cand, hpn, hp_ = zrs.read(t), ns.read(t), hpns.read(t), hprev_ta.read(t)
                if masked:
                    m = m_ta.read(t)
                    dh, passed = dh * m, dh * (1.0 - m)
                z, r = zr[:, :u], zr[:, u:]
                dn = dh * (1.0 - z) * (1.0 - cand * cand)  # at tanh's input
                dzr = tf.concat([dh * (hp_ - cand), dn * hpn], 1) * _sigmoid_grad(zr)
                dnr = dn * r
                dhp = tf.concat([dzr, dnr], 1)  # (batch, 3u) at the recurrent product
                dh_prev = dh * z + tf.matmul(dhp, rec_t)
                if masked:
                    dh_prev = dh_prev + passed
                return dh_prev, dzrs.write(t, dzr), dnrs.write(t, dnr), dns.write(t, dn)

            d0 = tf.zeros_like(h0) if d_last is None else d_last
            dh0, dzrs, dnrs, dns = _loop(n, back, (d0, dzrs, dnrs, dns), reverse=True)
            dzr, dnr, dn = (_flat(a.stack()) for a in (dzrs, dnrs, dns))  # (time * batch, 2u | u | u)
            x_flat, h_flat = _flat(xt), _flat(hprev)
            dkernel = tf.concat(
                [tf.matmul(x_flat, dzr, transpose_a=True), tf.matmul(x_flat, dn, transpose_a=True)], 1
            )
            drec = tf.concat(
                [tf.matmul(h_flat, dzr, transpose_a=True), tf.matmul(h_flat, dnr, transpose_a=True)], 1
            )
            dx = tf.matmul(dzr, kernel[:, : 2 * u], transpose_b=True) + tf.matmul(
                dn, kernel[:, 2 * u :], transpose_b=True
            )
            dx = tf.reshape(dx, tf.shape(xt))
            sum_zr = tf.reduce_sum(dzr, 0)
            dbias = tf.stack(
                [tf.concat([sum_zr, tf.reduce_sum(dn, 0)], 0), tf.concat([sum_zr, tf.reduce_sum(dnr, 0)], 0)]
            )
            return (dx, dh0, dkernel, drec, dbias, *([None] if masked else []))

        return (outputs, h_last), grad

    args = (xt, h0, kernel, recurrent, bias, *([mask] if masked else []))
    return run(*args)


def lstm_time_major(xt, h0, c0, kernel, recurrent, bias, mask=None, zero_output=False):
    """xt (time, batch, in) -> (outputs (time, batch, u), h (batch, u), c (batch, u)); Keras's LSTM.

    Gates i, f, g, o in Keras's order: c' = f * c + i * tanh(g); h' = o * tanh(c').
    """
    tf = _tf()
    u = recurrent.shape[0]
    masked = mask is not None

    @tf.custom_gradient
    def run(xt, h0, c0, kernel, recurrent, bias, *maybe_mask):
        m_all = maybe_mask[0] if masked else None
        n = tf.shape(xt)[0]
        xp_ta = _seq(_project(xt, kernel) + bias)
        m_ta = _seq(m_all) if masked else None
        hs, cs, acts = _arrays(tf, n, xt.dtype, 3)

        def body(t, h, c, hs, cs, acts):
            a = xp_ta.read(t) + tf.matmul(h, recurrent)  # (batch, 4u)
            sig = tf.sigmoid(a)
            g = tf.tanh(a[:, 2 * u : 3 * u])
            act = tf.concat([sig[:, : 2 * u], g, sig[:, 3 * u :]], 1)  # i, f, g, o
            c_new = act[:, u : 2 * u] * c + act[:, :u] * g
            h_new = act[:, 3 * u :] * tf.tanh(c_new)
            if masked:
                m = m_ta.read(t)
                h_new, c_new = _keep(m, h_new, h), _keep(m, c_new, c)
            return h_new, c_new, hs.write(t, h_new), cs.write(t, c_new), acts.write(t, act)

        h_last, c_last, hs, cs, acts = _loop(n, body, (h0, c0, hs, cs, acts))
        hs_all, cs_all = hs.stack(), cs.stack()
        outputs = hs_all * m_all if masked and zero_output else hs_all

        def grad(d_out, d_h, d_c):
            d_out = tf.zeros_like(outputs) if d_out is None else d_out
            if masked and zero_output:
                d_out = d_out * m_all
            hprev = tf.concat([h0[None], hs_all[:-1]], 0)
            cprev_ta = _seq(tf.concat([c0[None], cs_all[:-1]], 0))
            c_ta = _seq(cs_all)
            dout_ta = _seq(d_out)
            (das,) = _arrays(tf, n, xt.dtype, 1)
            rec_t = tf.transpose(recurrent)

            def back(t, dh, dc, das):
                dh = dh + dout_ta.read(t)
                act, c, c_prev = acts.read(t), c_ta.read(t), cprev_ta.read(t)
                if masked:
                    m = m_ta.read(t)
                    dh, dc, dh_pass, dc_pass = dh * m, dc * m, dh * (1.0 - m), dc * (1.0 - m)
                i, f, g, o = (act[:, k * u : (k + 1) * u] for k in range(4))
                tc = tf.tanh(c)
                dc = dc + dh * o * (1.0 - tc * tc)
                da = tf.concat([dc * g, dc * c_prev, dc * i, dh * tc], 1) * tf.concat(
                    [_sigmoid_grad(act[:, : 2 * u]), 1.0 - g * g, _sigmoid_grad(o)], 1
                )
                dh_prev, dc_prev = tf.matmul(da, rec_t), dc * f
                if masked:
                    dh_prev, dc_prev = dh_prev + dh_pass, dc_prev + dc_pass
                return dh_prev, dc_prev, das.write(t, da)

            dh0 = tf.zeros_like(h0) if d_h is None else d_h
            dc0 = tf.zeros_like(c0) if d_c is None else d_c
            dh0, dc0, das = _loop(n, back, (dh0, dc0, das), reverse=True)
            da = das.stack()
            dx, dkernel, drec = _weight_grads(xt, da, hprev, da, kernel)
            return (dx, dh0, dc0, dkernel, drec, tf.reduce_sum(_flat(da), 0), *([None] if masked else []))

        return (outputs, h_last, c_last), grad

    return run(xt, h0, c0, kernel, recurrent, bias, *([mask] if masked else []))


def tracing_for_xla() -> bool:
    """Whether the graph being traced is compiled by XLA (a `jit_compile` function), as
    TensorFlow's own control flow asks it; True where that cannot be asked (the safe side)."""
    tf = _tf()
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:
        return True
    graph = tf.compat.v1.get_default_graph()
    return bool(control_flow_util.GraphOrParentsInXlaContext(graph))


def lstm_fused(xt, h0, c0, kernel, recurrent, bias):
    """`lstm_time_major` without a mask, as one kernel for the whole sequence and one for its
    gradient: TensorFlow's BlockLSTM, the equations Keras's (no forget bias, peepholes or cell
    clipping), its gates in the order i, g, f, o (Keras's i, f, g, o, permuted here). A
    graph-mode loop pays each small operation's scheduling every step, which is most of the
    step for a few dozen units (memory task, LSTM 32 over 50 steps: 7.5 -> 3.9 ms a training
    step on 2 cores). Not BlockLSTMV2, which has Keras's order: TensorFlow registers the
    first version's gradient for it, which reads the gates in the other order (wrong
    gradients). Not under XLA, which has no such kernel (`tracing_for_xla`: the caller keeps the loop)."""
    tf = _tf()
    u = recurrent.shape[0]

    def igfo(w):
        return tf.concat([w[..., :u], w[..., 2 * u : 3 * u], w[..., u : 2 * u], w[..., 3 * u :]], -1)

    no_peephole = tf.zeros_like(bias[:u])
    outputs = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(xt)[0], tf.int64),
        x=xt,
        cs_prev=c0,
        h_prev=h0,
        w=igfo(tf.concat([kernel, recurrent], 0)),  # [x, h] @ w
        wci=no_peephole,
        wcf=no_peephole,
        wco=no_peephole,
        b=igfo(bias),
        forget_bias=0.0,
        cell_clip=-1.0,
        use_peephole=False,
    )
    cs, hs = outputs[1], outputs[6]  # i, cs, f, o, g, tanh(cs), h: each (time, batch, u)
    return hs, hs[-1], cs[-1]


def simple_time_major(xt, h0, kernel, recurrent, bias, mask=None, zero_output=False):
    """xt (time, batch, in) -> (outputs, final state); Keras's SimpleRNN: h' = tanh(x W + b + h R)."""
    tf = _tf()
    masked = mask is not None

    @tf.custom_gradient
    def run(xt, h0, kernel, recurrent, bias, *maybe_mask):
        m_all = maybe_mask[0] if masked else None
        n = tf.shape(xt)[0]
        xp_ta = _seq(_project(xt, kernel) + bias)
        m_ta = _seq(m_all) if masked else None
        (hs,) = _arrays(tf, n, xt.dtype, 1)
        (news,) = _arrays(tf, n, xt.dtype, 1)

        def body(t, h, hs, news):
            new = tf.tanh(xp_ta.read(t) + tf.matmul(h, recurrent))
            h_new = _keep(m_ta.read(t), new, h) if masked else new
            return h_new, hs.write(t, h_new), news.write(t, new)

        h_last, hs, news = _loop(n, body, (h0, hs, news))
        hs_all = hs.stack()
        outputs = hs_all * m_all if masked and zero_output else hs_all

        def grad(d_out, d_last):
            d_out = tf.zeros_like(outputs) if d_out is None else d_out
            if masked and zero_output:
                d_out = d_out * m_all
            hprev = tf.concat([h0[None], hs_all[:-1]], 0)
            dout_ta = _seq(d_out)
            (das,) = _arrays(tf, n, xt.dtype, 1)
            rec_t = tf.transpose(recurrent)

            def back(t, dh, das):
                dh = dh + dout_ta.read(t)
                new = news.read(t)
                if masked:
                    m = m_ta.read(t)
                    dh, passed = dh * m, dh * (1.0 - m)
                da = dh * (1.0 - new * new)
                dh_prev = tf.matmul(da, rec_t)
                if masked:
                    dh_prev = dh_prev + passed
                return dh_prev, das.write(t, da)

            d0 = tf.zeros_like(h0) if d_last is None else d_last
            dh0, das = _loop(n, back, (d0, das), reverse=True)
            da = das.stack()
            dx, dkernel, drec = _weight_grads(xt, da, hprev, da, kernel)
            return (dx, dh0, dkernel, drec, tf.reduce_sum(_flat(da), 0), *([None] if masked else []))

        return (outputs, h_last), grad

    return run(xt, h0, kernel, recurrent, bias, *([mask] if masked else []))
